/* slc.clicktracker for Volto and other headless frontends: report that the
   member saw a content item, through the REST API only (GET @tracking for
   the token, POST @hit). An ES module without dependencies; copy it into
   your frontend or import it. See docs/volto.rst.

   It reports the first view of each showing only; the reading time and
   depth that Classic UI pages measure (clicktracker.js) are not measured
   here. */

// The latest call: a showing still waiting to be seen is dropped when the
// frontend moves on to another route before it was.
let latest = 0;
let lastOptions = null;
let previousUrl = "";

// Resolves once the page is seen: not in a background tab, not being
// prerendered (the rule of the Classic script).
const visible = () =>
  new Promise((resolve) => {
    const doc = document;
    const check = () => {
      if (doc.visibilityState != "visible" || doc.prerendering) return;
      doc.removeEventListener("visibilitychange", check);
      doc.removeEventListener("prerenderingchange", check);
      resolve();
    };
    doc.addEventListener("visibilitychange", check);
    doc.addEventListener("prerenderingchange", check);
    check();
  });

/**
 * Report a view of one content item. Call it on every route change.
 *
 * options.contentUrl   the item's address in the REST API, or
 * options.apiUrl       the REST API's address (".../Plone" or ".../++api++")
 *   and options.contentPath  the item's path below it ("/folder/doc")
 * options.headers      added to every request, such as
 *                      {Authorization: `Bearer ${jwt}`}
 * options.fetchOptions further fetch() options; the default sends cookies
 *                      ({credentials: "include"}: Plone's auth cookie)
 *
 * Resolves to {url, token, view} of the view sent to @hit, or null when
 * nothing was sent (not tracked, not logged in where anonymous views are
 * not counted, superseded, an error). Never rejects, never throws.
 */
export async function trackView(options) {
  const mine = ++latest;
  try {
    lastOptions = options;
    const referrer = previousUrl || document.referrer;
    previousUrl = location.href;
    const { apiUrl = "", contentPath = "", headers, fetchOptions } = options;
    const content = (
      options.contentUrl || apiUrl.replace(/\/+$/, "") + contentPath
    ).replace(/\/+$/, "");
    const send = (url, init) =>
      fetch(url, {
        credentials: "include",
        ...fetchOptions,
        ...init,
        headers: { Accept: "application/json", ...headers, ...init.headers },
      });

    const answer = await send(`${content}/@tracking`, {});
    const hit = answer.ok && (await answer.json()).hit;
    // Not tracked, or nothing of this member's would be counted.
    if (!hit) return null;
    await visible();
    if (mine != latest) return null;

    // The address @tracking was asked at, not hit["@id"]: behind Volto's
    // proxy that is the frontend's address of the item.
    const url = `${content}/@hit`;
    // 128 random bits, as the Classic script's view ids.
    const view = crypto.getRandomValues(new Uint32Array(4)).join("_");
    let token = hit.token;
    const post = () =>
      send(url, {
        method: "POST",
        // The hit is sent even if the member closes the tab meanwhile.
        keepalive: true,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token, view, url: location.href, referrer }),
      });
    let sent = await post();
    if (sent.status == 200) {
      // The token had expired: the answer is a fresh one; once more.
      token = (await sent.json()).token;
      sent = await post();
    }
    return sent.status == 204 ? { url, token, view } : null;
  } catch (e) {
    // Tracking never disturbs the frontend.
    return null;
  }
}

// A page restored from the back/forward cache is shown again: a new
// showing of the last item, as the Classic script counts it.
if (typeof window != "undefined")
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && lastOptions) trackView(lastOptions);
  });
