// Django's admin renders a tabular inline's fields without <label>s (axe: select-name,
// label) and leaves two of its header cells empty (axe: empty-table-header). Name each field
// after its column's header and give the empty headers words for screen readers.
(function () {
  "use strict";
  function hiddenText(text) {
    var span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = text;
    return span;
  }
  function repair(table) {
    table.querySelectorAll("thead th").forEach(function (th) {
      if (!th.textContent.trim()) {
        th.appendChild(hiddenText(th.classList.contains("original") ? "Record" : "Delete"));
      }
    });
    table.querySelectorAll("tbody td[class*='field-']").forEach(function (td) {
      var match = /(?:^|\s)field-(\S+)/.exec(td.className);
      var th = match && table.querySelector("thead th.column-" + match[1]);
      if (!th) return;
      var name = th.textContent.trim();
      td.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
        if (!field.labels || !field.labels.length) {
          if (!field.hasAttribute("aria-label")) field.setAttribute("aria-label", name);
        }
      });
    });
  }
  function run() {
    document.querySelectorAll(".inline-group .tabular table").forEach(repair);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
  // A row added with "Add another" is named too.
  document.addEventListener("formset:added", run);
})();
