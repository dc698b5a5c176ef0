/* slc.clicktracker: report each showing of this page (visible after load,
   or restored from the back/forward cache), then how long it was read and
   how far. See docs/usage.rst, "What is measured". Pages get the minified
   copy, clicktracker.min.js (make js). */
(() => {
  try {
    const doc = document;
    const config = doc.currentScript?.dataset;
    if (!config?.callback) return;
    const clock = Date.now;
    // Errors of our handlers stay ours: tracking never disturbs the reader.
    const safe = (f) => (event) => {
      try {
        f(event);
      } catch (e) {}
    };
    const on = (type, f, options, target = window) =>
      target.addEventListener(type, safe(f), options);
    const form = (fields) => new URLSearchParams({ token, ...fields });
    let token = config.token || "";
    let due, shown, view, timer, read, mark, active, depth, end, last;

    // Adds the time since the last mark during which the page was visible
    // and its reader active (any activity in the last 30 s); every change
    // of visibility settles first, so `shown` held throughout.
    const settle = () => {
      const now = clock();
      if (shown) read += Math.max(0, Math.min(now, active + 3e4) - mark);
      return (mark = now);
    };

    // The stored view's running figures, when they changed. The server
    // keeps the highest of each, so a lost or repeated one does no harm.
    const report = () => {
      settle();
      const figures = [(read / 1e3) | 0, depth, end];
      if (view && figures != last)
        navigator.sendBeacon(
          config.callback,
          form({ view, seconds: figures[0], depth, end }),
        ),
          (last = figures + "");
    };

    // The first hit; the server counts each showing's id once.
    const post = (id, again) =>
      fetch(config.callback, {
        method: "POST",
        body: form({ view: id, url: location.href, referrer: doc.referrer }),
        keepalive: true,
      })
        // 200: the token had expired, the body is a fresh one.
        .then((answer) =>
          answer.status == 200 && !again
            ? answer.text().then((fresh) => post(id, (token = fresh)))
            : answer.ok &&
              ((view = id), (timer ||= setInterval(safe(report), 15e3))),
        )
        .catch(() => {});

    const send = () => {
      // Not (yet) seen: a background tab, a prerendered page.
      if (!due || doc.visibilityState != "visible" || doc.prerendering) return;
      due = view = last = false;
      read = 0;
      shown = true;
      mark = active = clock();
      // 128 random bits as the view's id.
      post(crypto.getRandomValues(new Uint32Array(4)).join("_"));
    };

    const show = () => {
      due = true;
      send();
      if (depth != null) return;
      depth = end = 0;
      // How far the main content (not the footer) came into view: its
      // blocks (below wrappers of one child, such as Plone's text field),
      // and a marker after its end, watched without scroll events.
      const core = doc.getElementById("content-core") || doc.body;
      let box = core;
      while (box.childElementCount == 1) box = box.firstElementChild;
      const marker = doc.createElement("span");
      const blocks = [...box.children, marker];
      core.append(marker);
      const watch = new IntersectionObserver(
        safe((entries) => {
          const whole = core.getBoundingClientRect();
          for (const entry of entries)
            if (entry.isIntersecting)
              depth = Math.max(
                depth,
                (end |= entry.target == marker) * 100,
                (((entry.intersectionRect.bottom - whole.top) * 100) /
                  whole.height) |
                  0,
              );
        }),
        // The marker may sit a margin below the last line.
        { rootMargin: "0px 0px 64px" },
      );
      for (const block of blocks) watch.observe(block);
      for (const type of ["scroll", "pointerdown", "pointermove", "keydown"])
        on(type, () => (active = settle()), true);
    };

    on(
      "visibilitychange",
      () => {
        if (!due) {
          settle();
          // Coming back counts as activity; leaving reports.
          (shown = doc.visibilityState == "visible") ? (active = mark) : report();
        }
        send();
      },
      0,
      doc,
    );
    on("prerenderingchange", send, 0, doc);
    on("pagehide", report);
    on("pageshow", (event) => event.persisted && show());
    if (doc.readyState == "complete") safe(show)();
    else on("load", show, { once: true });
  } catch (e) {
    // Tracking must never disturb the reader.
  }
})();
