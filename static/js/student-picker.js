// The extension form's student picker: as the TA types a name, username or e-mail, the
// datalist the field names is filled with matching students from the server (a class of
// thousands is too many to send with the page). Each option's value is the username, so
// the choice names one account; its label is the name the TA knows.
(function () {
  const list = document.getElementById("student-options");
  const field = document.querySelector('input[list="student-options"]');
  if (!list || !field) return;
  let timer = null;
  let asked = "";
  async function search() {
    const q = field.value.trim();
    if (q === asked) return;
    asked = q;
    try {
      const response = await fetch(list.dataset.searchUrl + "?q=" + encodeURIComponent(q),
                                   { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (!response.ok || q !== field.value.trim()) return;  // a newer search is on its way
      const found = (await response.json()).students;
      list.replaceChildren(...found.map(function (s) {
        const option = document.createElement("option");
        option.value = s.username;
        option.label = s.label;
        option.textContent = s.label;
        return option;
      }));
    } catch (err) {
      /* offline for a moment: the field still takes what is typed */
    }
  }
  field.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
