// Drafts for the forms students write in (essays, appeals), the way the review pane and the
// synthesis page keep theirs: every change goes to this browser at once and to the server
// after a pause, a copy in this browser newer than the server's is put back, and leaving
// with text the server has not got yet asks first (and tries to send it on the way out).
//
// A form opts in with data-draft-url, data-storage-key and data-saved-at (what the server
// holds, ISO); a <p class="draft-state"> inside it says how things stand.
(function () {
  const forms = Array.from(document.querySelectorAll("form[data-draft-url]"));
  if (!forms.length) return;
  let unsent = 0; // forms with changes the server has not confirmed
  // A time this browser recorded, written as the site writes times (14:02:50, not 2:02:50 PM).
  const clock = (d) => [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");

  forms.forEach((form) => {
    const key = form.dataset.storageKey;
    const state = form.querySelector(".draft-state");
    let timer = null;
    let dirty = false;
    let submitting = false;
    let held = null; // the fields as the server holds them (JSON), set below once the page is filled

    function say(text) { if (state) state.textContent = text; }
    function fields() {
      const data = {};
      new FormData(form).forEach((value, name) => {
        if (typeof value === "string" && name !== "csrfmiddlewaretoken") data[name] = value;
      });
      return data;
    }
    function body() {
      const out = new FormData();
      out.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      Object.entries(fields()).forEach(([k, v]) => out.append(k, v));
      return out;
    }
    function setDirty(value) {
      if (value !== dirty) unsent += value ? 1 : -1;
      dirty = value;
    }
    function remember() {
      try { localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), fields: fields() })); } catch (e) { /* storage off */ }
    }
    async function save() {
      clearTimeout(timer);
      say("Saving your draft…");
      const sent = JSON.stringify(fields());
      try {
        const response = await fetch(form.dataset.draftUrl, { method: "POST", body: body(), credentials: "same-origin",
                                                              redirect: "error" });
        if (!response.ok) throw new Error(response.status);
        const result = await response.json();
        if (!result.saved) { say(result.error || "Draft not saved"); return; }
        held = sent;
        setDirty(JSON.stringify(fields()) !== held); // typed on while this was on its way
        say("Draft saved " + result.saved_label);  // the server's clock, as the page writes it
      } catch (e) {
        say("Draft kept in this browser only (the server could not be reached); it is sent when you type again");
      }
    }
    function changed(event) {
      if (event.target.type === "file" || event.target.name === "csrfmiddlewaretoken") return;
      // A change event on leaving a box repeats its input events: nothing new to keep.
      if (JSON.stringify(fields()) === held) return;
      setDirty(true);
      remember();
      clearTimeout(timer);
      timer = setTimeout(save, 800);
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", () => {
      // The server keeps a refused submit as the draft and clears it on success.
      submitting = true;
      clearTimeout(timer);
      setDirty(false);
      try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
    });
    // On the way out, the last keystrokes go by beacon, which outlives the page.
    window.addEventListener("pagehide", () => {
      if (dirty && !submitting && navigator.sendBeacon) navigator.sendBeacon(form.dataset.draftUrl, body());
    });

    held = JSON.stringify(fields());
    // A copy in this browser newer than the server's was typed while it could not be reached.
    try {
      const local = JSON.parse(localStorage.getItem(key) || "null");
      const serverAt = form.dataset.savedAt ? new Date(form.dataset.savedAt) : new Date(0);
      if (local && new Date(local.at) > serverAt) {
        Object.entries(local.fields).forEach(([name, value]) => {
          const el = form.elements.namedItem(name);
          if (el && el.type !== "file" && el.type !== "hidden") el.value = value;
        });
        say("Restored what you typed in this browser at " + clock(new Date(local.at)) +
            " and had not saved");
        form.querySelectorAll("select, textarea").forEach((el) => el.dispatchEvent(new Event("change")));
        setDirty(true);
        save();
      } else if (local) {
        localStorage.removeItem(key);
      }
    } catch (e) { /* ignore a corrupt local copy */ }
  });

  window.addEventListener("beforeunload", (event) => {
    if (!unsent) return;
    event.preventDefault();
    event.returnValue = ""; // the browser shows its own "leave this page?" question
  });
})();
