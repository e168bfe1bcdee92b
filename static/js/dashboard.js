/* Dashboard: announce a new emergency case when the queue refreshes itself. */
(function () {
  "use strict";
  function emergencies() {
    var counts = document.getElementById("queue-counts");
    return counts ? Number(counts.getAttribute("data-emergency-count")) : 0;
  }
  var seen = emergencies();
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target || event.target.id !== "queue") { return; }
    var now = emergencies();
    if (now > seen) {
      var banner = document.getElementById("new-emergency");
      var announcer = document.getElementById("announcer");
      if (banner) { banner.hidden = false; }
      if (announcer) { announcer.textContent = "A new emergency case has arrived."; }
    }
    seen = now;
  });
})();

/* "Copy for the note": the summary's plain text to the clipboard, and a word that it worked. */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var source = document.getElementById(id);
    var status = document.querySelector("[data-copy-status='" + id + "']");
    if (!source) { return; }
    function said(text) { if (status) { status.textContent = text; } }
    button.addEventListener("click", function () {
      var text = source.value;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { said("Copied. Paste it into the patient's note."); },
          function () { said("Could not copy: select the summary and copy it by hand."); }
        );
        return;
      }
      source.classList.remove("visually-hidden");
      source.select();
      var copied = document.execCommand && document.execCommand("copy");
      source.classList.add("visually-hidden");
      said(copied ? "Copied. Paste it into the patient's note." : "Could not copy: select the summary and copy it by hand.");
    });
  });
})();

/* The summary's "Show where each line comes from": each line's links to the answers behind it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-toggle-sources]").forEach(function (button) {
    var summary = button.closest(".pv-summary");
    button.addEventListener("click", function () {
      var shown = summary.classList.toggle("show-sources");
      button.setAttribute("aria-pressed", shown ? "true" : "false");
      button.textContent = shown ? "Hide where each line comes from" : "Show where each line comes from";
    });
  });
})();
