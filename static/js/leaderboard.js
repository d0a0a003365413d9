// Keep the leaderboard current while the page is open (every 15 s, paused when hidden).
(function () {
  const box = document.getElementById("leaderboard");
  if (!box) return;
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(box.dataset.pollUrl, { credentials: "same-origin" });
      if (response.ok) box.innerHTML = await response.text();
    } catch (e) { /* try again next time */ }
  }
  setInterval(refresh, 15000);
})();
