// Refresh the submission's status until grading ends, then reload once so the full
// feedback (tables, figures, notebook) appears. Without JavaScript the page falls
// back to a <noscript> meta refresh.
//
// A screen reader hears each change of status through the polite live region
// #status-announcement, which polling never replaces. The reload at the end would cut
// that announcement off, so the page remembers it in sessionStorage and, once reloaded,
// says how grading ended (with the accuracy when there is one).
(function () {
  const box = document.getElementById("submission-status");
  const region = document.getElementById("status-announcement");
  if (!box) return;
  const url = box.dataset.pollUrl;
  const finishedKey = "status-finished:" + window.location.pathname;

  function statusText(root) {
    const el = root.querySelector("#status-value");
    return el ? el.textContent.trim() : "";
  }

  function announce(text) {
    if (region) region.textContent = text;
  }

  if (sessionStorage.getItem(finishedKey)) {
    sessionStorage.removeItem(finishedKey);
    const accuracy = document.getElementById("accuracy-value");
    const said = "Grading finished: " + statusText(box) + (accuracy ? ". Test accuracy " + accuracy.textContent.trim() : "") + ".";
    // A region filled while the page is still loading is not always read: wait a moment.
    setTimeout(function () { announce(said); }, 500);
  }

  async function tick() {
    const current = box.querySelector(".status-box");
    if (!current || current.dataset.pending !== "true") return;
    const before = statusText(box);
    try {
      const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (response.ok) {
        box.innerHTML = await response.text();
        const next = box.querySelector(".status-box");
        const now = statusText(box);
        if (next && next.dataset.pending !== "true" && box.dataset.reloadWhenDone === "true") {
          sessionStorage.setItem(finishedKey, now);
          window.location.reload();
          return;
        }
        if (now && now !== before) announce("Status: " + now + ".");
      }
    } catch (err) {
      /* a dropped connection: try again on the next tick */
    }
    setTimeout(tick, 2000);
  }
  setTimeout(tick, 2000);
})();
