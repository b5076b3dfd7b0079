// hollow serve: the only script. It polls /api/status and shows the followed and announced versions as
// they advance; on a page that follows the latest version, it offers a reload when a newer one is
// served. Values go in with textContent only, never as HTML.
"use strict";
(function () {
  const body = document.body;
  const shown = Number(body.dataset.version || 0);
  const pinned = body.dataset.pinned === "true";
  const set = (id, value) => {
    const el = document.getElementById(id);
    if (el && value !== null && value !== undefined) el.textContent = String(value);
  };
  async function poll() {
    try {
      const response = await fetch("/api/status", { cache: "no-store" });
      if (response.ok) {
        const status = await response.json();
        set("current-version", status.current);
        set("announced-version", status.announced);
        const banner = document.getElementById("update-banner");
        if (banner && !pinned && shown && status.current && status.current !== shown) {
          banner.textContent = "";
          banner.append("Version " + status.current + " is now served. ");
          const link = document.createElement("a");
          link.href = window.location.href;
          link.textContent = "Reload";
          banner.append(link);
          banner.hidden = false;
        }
      }
    } catch (e) {
      // The server is restarting or gone: try again at the next tick.
    }
  }
  setInterval(poll, 1000);
})();
