// Network drawings: tapping or clicking a circle names it under the drawing (touch screens show
// no SVG tooltips) and lights up its ties. The page works without this script.
(function () {
  "use strict";
  document.querySelectorAll("svg.chart-network").forEach(function (svg) {
    var figure = svg.closest("figure");
    var out = figure && figure.parentNode.querySelector(".network-selection");
    svg.addEventListener("click", function (event) {
      var circle = event.target.closest("circle");
      svg.querySelectorAll(".is-selected, .is-linked").forEach(function (el) {
        el.classList.remove("is-selected", "is-linked");
      });
      svg.classList.remove("has-selection");
      if (!circle) {
        if (out) { out.textContent = ""; }
        return;
      }
      var n = circle.getAttribute("data-n");
      circle.classList.add("is-selected");
      svg.classList.add("has-selection");
      var ties = 0;
      svg.querySelectorAll('line[data-a="' + n + '"], line[data-b="' + n + '"]').forEach(function (line) {
        line.classList.add("is-linked");
        ties += 1;
      });
      var title = circle.querySelector("title");
      if (out && title) {
        out.textContent = "Selected: " + title.textContent + " (" + ties + " drawn).";
      }
    });
  });
})();
