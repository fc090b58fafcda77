(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card[data-verdict]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".group"));
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=verdict]"));
  var outlet = document.getElementById("filter-outlet");
  var confidence = document.getElementById("filter-confidence");
  var shown = document.getElementById("filter-confidence-value");
  var status = document.getElementById("filter-status");

  function apply() {
    var verdicts = {};
    boxes.forEach(function (box) { verdicts[box.value] = box.checked; });
    var who = outlet.value;
    var least = parseFloat(confidence.value) || 0;
    var visible = 0;
    shown.textContent = least.toFixed(2);
    cards.forEach(function (card) {
      var d = card.dataset;
      var keep = verdicts[d.verdict] !== false &&
        (who === "" || d.outletA === who || d.outletB === who) &&
        parseFloat(d.confidence) + 1e-9 >= least;
      card.hidden = !keep;
      if (keep) { visible += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = group.querySelector(".card") !== null && group.querySelector(".card:not([hidden])") === null;
    });
    status.textContent = "Showing " + visible + " of " + cards.length + " pairs.";
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();
