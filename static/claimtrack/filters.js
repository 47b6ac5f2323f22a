// The search forms of the list pages (templates/claims/_desk_filters.html): empty fields are
// left out of the URL, so it says only what was asked (?q=bridge, not ?q=bridge&source=&...).
// Without this script the form still works; the server ignores empty fields.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("desk-filters")) return;
    for (const field of form.querySelectorAll("input[name], select[name]")) {
      if (!field.value.trim()) field.disabled = true;
    }
    // Re-enabled after the browser has read the form, for a page restored from history.
    setTimeout(() => {
      for (const field of form.querySelectorAll("[disabled]")) field.disabled = false;
    }, 0);
  });
})();
