// A form that comes back refused puts the keyboard on the first thing to fix: the first
// field marked invalid (its label, then its error, are read out) or the first error
// message, whichever comes first on the page. Without this the focus is lost at the top
// of a reloaded page and a keyboard or screen-reader user must hunt for what went wrong.
(function () {
  const target = document.querySelector("main [aria-invalid='true'], main p.error, main .error-box");
  if (!target) return;
  if (!target.matches("input, select, textarea, button, a[href]")) target.setAttribute("tabindex", "-1");
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "center" });
})();
