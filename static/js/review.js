// The review pane: level and comment-bank buttons, keyboard shortcuts, and a draft saved
// as the TA types (to the server, and to this browser in case the server cannot be
// reached), so moving on or losing the connection never loses a typed comment.
(function () {
  const form = document.getElementById("review-form");
  if (!form) return;
  const blocks = Array.from(form.querySelectorAll("fieldset.criterion"));
  const state = document.getElementById("draft-state");
  const key = form.dataset.storageKey;
  let current = 0;
  let timer = null;

  function fields() {
    const data = {};
    new FormData(form).forEach((value, name) => {
      if (name !== "csrfmiddlewaretoken") data[name] = value;
    });
    return data;
  }
  function remember() {
    try { localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), fields: fields() })); } catch (e) { /* storage off */ }
  }
  async function saveDraft() {
    clearTimeout(timer);
    const body = new FormData(form);
    try {
      const response = await fetch(form.dataset.draftUrl, { method: "POST", body, credentials: "same-origin",
                                                            redirect: "error" });
      if (!response.ok) throw new Error(response.status);
      const result = await response.json();
      state.textContent = "Draft saved " + result.saved_label;  // the server's clock, as the page writes it
      return true;
    } catch (e) {
      state.textContent = "Draft kept in this browser only (the server could not be reached)";
      return false;
    }
  }
  function changed() {
    remember();
    clearTimeout(timer);
    timer = setTimeout(saveDraft, 800);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", () => {
    clearTimeout(timer);
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
  });

  function setCurrent(index, focusBlock) {
    if (!blocks.length) return;
    current = Math.max(0, Math.min(blocks.length - 1, index));
    blocks.forEach((b, i) => b.classList.toggle("current", i === current));
    if (focusBlock) {
      blocks[current].tabIndex = -1;
      blocks[current].focus();
      blocks[current].scrollIntoView({ block: "nearest" });
    }
  }
  blocks.forEach((block, i) => block.addEventListener("focusin", () => setCurrent(i, false)));

  function applyComment(block, text) {
    const box = block.querySelector("textarea.comment");
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" + text : text;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
  form.addEventListener("click", (event) => {
    const level = event.target.closest("button.level");
    const comment = event.target.closest("button.bank-comment");
    if (level) {
      const input = level.closest("fieldset").querySelector("input.points");
      input.value = level.dataset.points;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    } else if (comment) {
      applyComment(comment.closest("fieldset"), comment.dataset.text);
    }
  });

  function typing(el) {
    if (!el) return false;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable) return true;
    return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit", "hidden"].includes(el.type);
  }
  async function go(url) {
    if (!url) return;
    await saveDraft();
    window.location.href = url;
  }
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit(document.getElementById("save-review"));
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Escape") {
        event.preventDefault();
        setCurrent(current, true);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const block = blocks[current];
    if (event.key === "j") setCurrent(current + 1, true);
    else if (event.key === "k") setCurrent(current - 1, true);
    else if (event.key === "e" && block) block.querySelector("input.points").focus();
    else if (event.key === "c" && block) block.querySelector("textarea.comment").focus();
    else if (event.key === "f") document.getElementById("feedback").focus();
    else if (event.key === "n") go(form.dataset.nextUrl);
    else if (event.key === "p") go(form.dataset.previousUrl);
    else if (event.key === "?") {
      // The list sits at the end of a long form: opened from the top it would open out of
      // sight, so bring it into view and put the keyboard on it.
      const help = form.querySelector("details.shortcuts");
      help.open = !help.open;
      if (help.open) {
        help.scrollIntoView({ block: "nearest" });
        help.querySelector("summary").focus({ preventScroll: true });
      }
    }
    else if (/^[1-9]$/.test(event.key) && block) {
      const choice = block.querySelectorAll("button.bank-comment")[Number(event.key) - 1];
      if (choice) applyComment(block, choice.dataset.text);
    } else return;
    event.preventDefault();
  });

  // A copy kept in this browser that is newer than what the server has (a draft or a
  // review) was typed while the server could not be reached: put it back.
  try {
    const local = JSON.parse(localStorage.getItem(key) || "null");
    const serverAt = form.dataset.savedAt ? new Date(form.dataset.savedAt) : new Date(0);
    if (local && new Date(local.at) > serverAt) {
      form.querySelectorAll("input[type=checkbox]").forEach((box) => { box.checked = box.name in local.fields; });
      Object.entries(local.fields).forEach(([name, value]) => {
        const el = form.elements.namedItem(name);
        if (!el || name === "version" || el.type === "checkbox") return;
        el.value = value;
      });
      state.textContent = "Restored what you typed in this browser and had not saved";
      saveDraft();
    }
  } catch (e) { /* ignore a corrupt local copy */ }
  setCurrent(0, false);
  // Ready to type the first points at once where the pane sits beside the work; on a
  // narrow screen the pane is below the work, and the TA reads first.
  const first = form.querySelector("input.points");
  if (first && !window.matchMedia("(max-width: 50rem)").matches) first.focus({ preventScroll: true });
})();
