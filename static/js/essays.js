// Live meaningful-word count and a Markdown preview for each essay box, or the count of
// the file chosen for it. The server counts (the same function that checks a submission),
// so the two always agree.
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
    // One line counts the essay: the chosen file's words when there is one (it is what a
    // submit sends), otherwise the box's.
    const upload = set.querySelector("input[type=file]");
    let boxLine = "";
    let fileLine = "";
    function show() { count.textContent = upload.files.length ? fileLine : boxLine; }
    function described(result) {
      const short = result.required - result.words;
      return result.words + " meaningful words" + (short > 0 ? " (" + short + " more needed)" : " ✓");
    }
    async function refresh() {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", token);
      body.append("text", text.value);
      body.append("prompt", prompt.value);
      try {
        const response = await fetch(form.dataset.previewUrl, { method: "POST", body, credentials: "same-origin" });
        const result = await response.json();
        boxLine = described(result);
        preview.innerHTML = result.html; // sanitised on the server
      } catch (e) { boxLine = ""; }
      show();
    }
    text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 500); });
    prompt.addEventListener("change", refresh);
    toggle.addEventListener("click", () => {
      preview.hidden = !preview.hidden;
      toggle.textContent = preview.hidden ? "Show preview" : "Hide preview";
    });
    if (text.value) refresh();

    // The whole prompt, readable however long (a closed select cuts it off).
    const full = set.querySelector(".prompt-full");
    prompt.addEventListener("change", () => {
      full.textContent = prompt.value ? prompt.options[prompt.selectedIndex].text : "";
    });

    // An essay file's meaningful words, counted by the server's own extractor before submitting.
    async function countUpload() {
      if (!upload.files.length) { fileLine = ""; show(); return; }
      const name = upload.files[0].name;
      const body = new FormData();
      body.append("csrfmiddlewaretoken", token);
      body.append("upload", upload.files[0]);
      body.append("prompt", prompt.value);
      fileLine = "Counting the words in " + name + "…";
      show();
      try {
        const response = await fetch(form.dataset.countUrl, { method: "POST", body, credentials: "same-origin" });
        const result = await response.json();
        fileLine = result.error ? result.error : name + ": " + described(result) +
          (text.value.trim() ? " (the file is sent instead of the text in the box)" : "");
      } catch (e) { fileLine = ""; }
      show();
    }
    upload.addEventListener("change", countUpload);
    prompt.addEventListener("change", () => { if (upload.files.length) countUpload(); });
  });
})();
