// The admin's controls that reach screen readers without a name get one (WCAG 2.2 AA, axe):
// a date and time pair is labelled by its field, and so is an autocomplete (select2) box.
(function () {
  "use strict";

  function fieldLabel(input) {
    var row = input.closest(".form-row, .fieldBox, div[class*='field-']");
    var label = row && row.querySelector("label");
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  function nameSplitDateTimes(root) {
    root.querySelectorAll("p.datetime").forEach(function (group) {
      var inputs = group.querySelectorAll("input");
      var name = fieldLabel(group);
      if (inputs.length === 2 && name) {
        if (!inputs[0].hasAttribute("aria-label")) inputs[0].setAttribute("aria-label", name + ", date");
        if (!inputs[1].hasAttribute("aria-label")) inputs[1].setAttribute("aria-label", name + ", time");
      }
    });
  }

  function nameAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector("label[for='" + select.id + "']");
      var box = select.parentElement && select.parentElement.querySelector(".select2-selection");
      if (!label || !box) return;
      var name = label.textContent.replace(/:\s*$/, "").trim();
      box.setAttribute("aria-label", name);
      var rendered = box.querySelector(".select2-selection__rendered");
      if (rendered) rendered.setAttribute("aria-label", name);
    });
  }

  function nameAll() {
    nameSplitDateTimes(document);
    nameAutocompletes(document);
  }

  // select2 draws its box when Django's autocomplete starts it, and again for each new inline
  // row: name whatever appears, whenever it appears.
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      nameAll();
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", nameAll);
  window.addEventListener("load", nameAll);
})();
