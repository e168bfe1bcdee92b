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
