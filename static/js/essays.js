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

    // The whole prompt, readable however long (a closed select cuts it off).
    const full = set.querySelector(".prompt-full");
    prompt.addEventListener("change", () => {
      full.textContent = prompt.value ? prompt.options[prompt.selectedIndex].text : "";
    });

    // An essay file's meaningful words, counted by the server's own extractor before submitting.
    const upload = set.querySelector("input[type=file]");
    const uploadCount = set.querySelector(".upload-count");
    async function countUpload() {
      if (!upload.files.length) { uploadCount.textContent = ""; return; }
      const body = new FormData();
      body.append("csrfmiddlewaretoken", token);
      body.append("upload", upload.files[0]);
      body.append("prompt", prompt.value);
      uploadCount.textContent = "Counting the words in " + upload.files[0].name + "…";
      try {
        const response = await fetch(form.dataset.countUrl, { method: "POST", body, credentials: "same-origin" });
        const result = await response.json();
        if (result.error) { uploadCount.textContent = result.error; return; }
        const short = result.required - result.words;
        uploadCount.textContent = upload.files[0].name + ": " + result.words + " meaningful words" +
          (short > 0 ? " (" + short + " more needed)" : " ✓");
      } catch (e) { uploadCount.textContent = ""; }
    }
    upload.addEventListener("change", countUpload);
    prompt.addEventListener("change", () => { if (upload.files.length) countUpload(); });
  });
})();
