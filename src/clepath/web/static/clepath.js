// clepath: a little progressive enhancement. Every page works without it.
"use strict";

// Ask before removing an observation (forms marked data-confirm).
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm) {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }
});

// After a rejected form, move the focus to the summary of problems.
document.addEventListener("DOMContentLoaded", function () {
  const summary = document.querySelector(".error-summary");
  if (summary instanceof HTMLElement) {
    summary.focus();
  }
});
