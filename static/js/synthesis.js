// Save synthesis answers as the student types: to the server (debounced) and to
// localStorage, so a closed tab or a dropped connection loses nothing. On load, a
// local copy newer than the server's is restored and saved.
(function () {
  const form = document.getElementById("synthesis-form");
  if (!form || !form.dataset.autosaveUrl) return;
  const key = form.dataset.storageKey;
  const state = document.getElementById("save-state");
  const boxes = Array.from(form.querySelectorAll("textarea:not([readonly])"));
  if (!boxes.length) return;
  let timer = null;

  function snapshot() {
    const data = {};
    boxes.forEach((b) => { data[b.name] = b.value; });
    return data;
  }
  function remember() {
    try { localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), answers: snapshot() })); } catch (e) { /* storage full or off */ }
  }
  async function save() {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    Object.entries(snapshot()).forEach(([k, v]) => body.append(k, v));
    state.textContent = "Saving…";
    try {
      const response = await fetch(form.dataset.autosaveUrl, { method: "POST", body, credentials: "same-origin" });
      const result = await response.json();
      if (!result.saved) { state.textContent = result.error || "Not saved"; return; }
      state.textContent = "Saved " + result.saved_label;  // the server's clock, as the page writes it
      boxes.forEach((b) => {
        const hint = document.getElementById("hint-" + b.name.slice(2));
        const h = result.hints[b.name.slice(2)];
        if (!hint) return;
        hint.textContent = h ? h.text : "";
        hint.className = "hint" + (h ? (h.ok ? " hint-ok" : " hint-try") : "");
      });
      try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
    } catch (e) {
      state.textContent = "Offline: kept in this browser, will save when you type again";
    }
  }
  boxes.forEach((b) => b.addEventListener("input", () => {
    remember();
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }));
  // Restore a local draft that is newer than what the server has.
  try {
    const local = JSON.parse(localStorage.getItem(key) || "null");
    const serverAt = form.dataset.serverSaved ? new Date(form.dataset.serverSaved) : new Date(0);
    if (local && new Date(local.at) > serverAt) {
      boxes.forEach((b) => { if (local.answers[b.name] !== undefined) b.value = local.answers[b.name]; });
      state.textContent = "Restored unsaved answers from this browser";
      save();
    }
  } catch (e) { /* ignore a corrupt local copy */ }
})();
