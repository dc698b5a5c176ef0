/* slc.clicktracker: report each showing of this page (visible after load,
   or restored from the back/forward cache). See docs/usage.rst. */
(() => {
  try {
    const doc = document;
    const config = doc.currentScript && doc.currentScript.dataset;
    if (!config || !config.callback) return;
    let due = false;

    // The server counts each showing's id once.
    const newView = () =>
      Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
        (byte + 256).toString(16).slice(1),
      ).join("");

    const post = (token, view, again) =>
      fetch(config.callback, {
        method: "POST",
        body: new URLSearchParams({
          token,
          view,
          url: location.href,
          referrer: doc.referrer,
        }),
        keepalive: true,
        credentials: "same-origin",
      })
        // 200: the token had expired, the body is a fresh one.
        .then((answer) => answer.status === 200 && !again && answer.text())
        .then((fresh) => fresh && post(fresh, view, true))
        .catch(() => {});

    const send = () => {
      // Not (yet) seen: a background tab, a prerendered page.
      if (!due || doc.visibilityState !== "visible" || doc.prerendering) return;
      due = false;
      try {
        post(config.token || "", newView(), false);
      } catch (e) {}
    };

    const show = () => {
      due = true;
      send();
    };

    doc.addEventListener("visibilitychange", send);
    doc.addEventListener("prerenderingchange", send);
    addEventListener("pageshow", (event) => event.persisted && show());
    if (doc.readyState === "complete") show();
    else addEventListener("load", show, { once: true });
  } catch (e) {
    // Tracking must never disturb the reader.
  }
})();
