/* Previsit portal: show and hide questions as the patient answers (FHIR enableWhen).
 * The server evaluates the same rules on every post and drops answers to hidden questions;
 * this script only makes the page follow the patient's answers without a reload. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");
  if (!form) { return; }
  var stored = {};
  try { stored = JSON.parse(form.getAttribute("data-answers") || "{}"); } catch (e) { stored = {}; }

  function fieldValue(linkId) {
    var inputs = form.querySelectorAll('[name="' + linkId + '"]');
    if (!inputs.length) { return stored[linkId]; }
    var first = inputs[0];
    if (first.type === "checkbox") {
      var values = [];
      inputs.forEach(function (i) { if (i.checked && !i.disabled) { values.push(i.value); } });
      return values.length ? values : undefined;
    }
    if (first.type === "radio") {
      var chosen;
      inputs.forEach(function (i) { if (i.checked && !i.disabled) { chosen = i.value; } });
      if (chosen === "true") { return true; }
      if (chosen === "false") { return false; }
      return chosen;
    }
    if (first.disabled || first.value === "") { return undefined; }
    if (first.type === "number") { return Number(first.value); }
    return first.value;
  }

  function valueOf(linkId) {
    var own = fieldValue(linkId);
    if (own !== undefined) { return own; }
    return stored[linkId];
  }

  function same(a, b) { return a === b || (typeof b === "number" && Number(a) === b); }

  function test(condition) {
    var answer = valueOf(condition.question);
    var empty = answer === undefined || answer === null || answer === "" ||
      (Array.isArray(answer) && answer.length === 0);
    var op = condition.operator, expected = condition.answer;
    if (op === "exists") { return expected ? !empty : empty; }
    if (empty) { return false; }
    var values = Array.isArray(answer) ? answer : [answer];
    return values.some(function (v) {
      if (op === "=") { return same(v, expected); }
      if (op === "!=") { return !same(v, expected); }
      var n = Number(v);
      if (isNaN(n)) { return false; }
      if (op === ">") { return n > expected; }
      if (op === "<") { return n < expected; }
      if (op === ">=") { return n >= expected; }
      if (op === "<=") { return n <= expected; }
      return false;
    });
  }

  function evaluate() {
    var blocks = form.querySelectorAll("[data-enable-when]");
    blocks.forEach(function (block) {
      var rule = JSON.parse(block.getAttribute("data-enable-when"));
      var results = rule.conditions.map(test);
      var on = rule.behavior === "any" ? results.some(Boolean) : results.every(Boolean);
      var parent = block.parentElement && block.parentElement.closest("[data-enable-when]");
      if (parent && parent.hidden) { on = false; }
      block.hidden = !on;
      block.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !on;
      });
    });
  }

  // "None of these" clears the other ticks, and a tick clears "none".
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "checkbox" && target.checked) {
      var group = form.querySelectorAll('input[type="checkbox"][name="' + target.name + '"]');
      group.forEach(function (box) {
        if (box === target) { return; }
        if (target.value === "none" || box.value === "none") { box.checked = false; }
      });
    }
    evaluate();
  });
  form.addEventListener("input", evaluate);
  evaluate();
})();

/* Submit once: a second click while the first is on its way does nothing. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();

/* On each new page, keyboard and screen-reader focus starts at its heading, so the page is
   announced by name; when the page came back with errors, at the error summary instead. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); return; }
  var heading = document.querySelector("main h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
})();
