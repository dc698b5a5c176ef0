/* slc.clicktracker: tell the server once that this page was really seen.
   Configuration comes from the data- attributes of this script's tag. */
(() => {
  try {
    const doc = document;
    const config = doc.currentScript && doc.currentScript.dataset;
    if (!config || !config.callback) return;
    let sent = false;

    const send = () => {
      // A background tab or a prerendered page is not seen (yet).
      if (sent || doc.visibilityState !== "visible" || doc.prerendering) return;
      sent = true;
      try {
        const body = new URLSearchParams({
          token: config.token || "",
          url: location.href,
          referrer: doc.referrer,
        });
        if (!(navigator.sendBeacon && navigator.sendBeacon(config.callback, body))) {
          // keepalive lets the request outlive the page, like a beacon.
          fetch(config.callback, {
            method: "POST",
            body,
            keepalive: true,
            credentials: "same-origin",
          }).catch(() => {});
        }
      } catch (e) {
        // Tracking must never disturb the reader.
      }
    };

    const start = () => {
      send();
      if (!sent) {
        doc.addEventListener("visibilitychange", send);
        doc.addEventListener("prerenderingchange", send);
      }
    };

    if (doc.readyState === "complete") start();
    else addEventListener("load", start, { once: true });
  } catch (e) {
    // As above: never an error for the reader.
  }
})();
