// Live meaningful-word count and a Markdown preview for each essay box. The server
// counts (the same function that checks a submission), so the two always agree.
(function () {
  const form = document.getElementById("essay-form");
  if (!form) return;
  const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
  form.querySelectorAll("fieldset.essay").forEach((set) => {
    const text = set.querySelector("textarea");
    const prompt = set.querySelector("select");
    const count = set.querySelector(".word-count");
    const preview = set.querySelector(".preview");
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "link";
    toggle.textContent = "Show preview";
    text.after(toggle);
    let timer = null;
    async function refresh() {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", token);
      body.append("text", text.value);
      body.append("prompt", prompt.value);
      try {
        const response = await fetch(form.dataset.previewUrl, { method: "POST", body, credentials: "same-origin" });
        const result = await response.json();
        const short = result.required - result.words;
        count.textContent = result.words + " meaningful words" + (short > 0 ? " (" + short + " more needed)" : " ✓");
        preview.innerHTML = result.html; // sanitised on the server
      } catch (e) { count.textContent = ""; }
    }
    text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 500); });
    prompt.addEventListener("change", refresh);
    toggle.addEventListener("click", () => {
      preview.hidden = !preview.hidden;
      toggle.textContent = preview.hidden ? "Show preview" : "Hide preview";
    });
    if (text.value) refresh();
  });
})();
