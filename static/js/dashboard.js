// Network drawings: tapping or clicking a circle, or moving to a name in the list of people
// beside the drawing (Tab, or a tap), names the person in the drawing itself and under it (touch
// screens and keyboards get no SVG tooltips) and lights up their ties. The page works without
// this script: the list's names are links to the profiles.
(function () {
  "use strict";
  var SVG_NS = "http://www.w3.org/2000/svg";

  function nameOf(circle) {
    var title = circle.querySelector("title");
    return title ? title.textContent : "";
  }

  function clear(svg) {
    svg.querySelectorAll(".is-selected, .is-linked").forEach(function (el) {
      el.classList.remove("is-selected", "is-linked");
    });
    svg.querySelectorAll(".node-label").forEach(function (el) { el.remove(); });
    svg.classList.remove("has-selection");
  }

  function label(svg, circle, text) {
    // A label beside the circle, kept inside the drawing, with a white halo to stay readable.
    var box = svg.viewBox.baseVal;
    var x = parseFloat(circle.getAttribute("cx"));
    var y = parseFloat(circle.getAttribute("cy"));
    var r = parseFloat(circle.getAttribute("r"));
    var right = x < box.x + box.width * 0.6;
    var node = document.createElementNS(SVG_NS, "text");
    node.setAttribute("class", "node-label");
    node.setAttribute("x", right ? x + r + 4 : x - r - 4);
    node.setAttribute("y", Math.max(box.y + 16, y + 5));
    node.setAttribute("text-anchor", right ? "start" : "end");
    node.setAttribute("aria-hidden", "true");
    node.textContent = text;
    svg.appendChild(node);
  }

  function select(svg, out, n) {
    clear(svg);
    var circle = n === null ? null : svg.querySelector('circle[data-n="' + n + '"]');
    if (!circle) {
      if (out) { out.textContent = ""; }
      return;
    }
    circle.classList.add("is-selected");
    svg.classList.add("has-selection");
    var ties = 0;
    svg.querySelectorAll('line[data-a="' + n + '"], line[data-b="' + n + '"]').forEach(function (line) {
      line.classList.add("is-linked");
      ties += 1;
    });
    var name = nameOf(circle);
    label(svg, circle, name.split(" — ")[0].split(";")[0]);
    if (out) {
      out.textContent = "Selected: " + name + " (" + ties + " tie" + (ties === 1 ? "" : "s") + " drawn).";
    }
  }

  document.querySelectorAll("svg.chart-network").forEach(function (svg) {
    var figure = svg.closest("figure");
    var holder = figure && figure.parentNode;
    var out = holder && holder.querySelector(".network-selection");
    svg.addEventListener("click", function (event) {
      var circle = event.target.closest("circle");
      select(svg, out, circle ? circle.getAttribute("data-n") : null);
    });
    var list = holder && holder.querySelector(".network-people-list");
    if (!list) { return; }
    ["focusin", "mouseover"].forEach(function (kind) {
      list.addEventListener(kind, function (event) {
        var person = event.target.closest("[data-n]");
        if (person) { select(svg, out, person.getAttribute("data-n")); }
      });
    });
  });
})();
