// Refresh the submission's status until grading ends, then reload once so the full
// feedback (tables, figures, notebook) appears. Without JavaScript the page falls
// back to a <noscript> meta refresh.
(function () {
  const box = document.getElementById("submission-status");
  if (!box) return;
  const url = box.dataset.pollUrl;
  async function tick() {
    const current = box.querySelector(".status-box");
    if (!current || current.dataset.pending !== "true") return;
    try {
      const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (response.ok) {
        box.innerHTML = await response.text();
        const next = box.querySelector(".status-box");
        if (next && next.dataset.pending !== "true" && box.dataset.reloadWhenDone === "true") {
          window.location.reload();
          return;
        }
      }
    } catch (err) {
      /* a dropped connection: try again on the next tick */
    }
    setTimeout(tick, 2000);
  }
  setTimeout(tick, 2000);
})();
