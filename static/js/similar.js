/* Similar threads on the new-thread form: as the member types a title, the server's short list
 * of threads like it (search's own index, only what the member may read) appears under the
 * title. Without JavaScript nothing appears and the form works as before.
 */
(function () {
  "use strict";
  var MIN_CHARS = 8;
  var WAIT_MS = 400;

  function setup(box) {
    var input = document.getElementById(box.getAttribute("data-similar-for"));
    var url = box.getAttribute("data-similar-url");
    if (!input || !url || !window.fetch) return;
    var timer = null;
    var shown = null; // the title whose similar threads are showing
    var pending = null; // the title being asked about
    var controller = null;

    function ask() {
      var title = input.value.trim();
      if (title === shown || title === pending) return;
      if (controller) controller.abort();
      pending = null;
      if (title.length < MIN_CHARS) {
        box.innerHTML = "";
        shown = title;
        return;
      }
      pending = title;
      controller = window.AbortController ? new AbortController() : null;
      fetch(url + "?title=" + encodeURIComponent(title), {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          if (pending !== title) return; // a newer title was asked about since
          pending = null;
          if (input.value.trim() === title) {
            box.innerHTML = html; // server-rendered, escaped
            shown = title;
          }
        })
        .catch(function () {
          if (pending === title) pending = null; // aborted or offline: keep what is shown
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
    if (input.value.trim()) ask();
  }

  document.querySelectorAll("[data-similar-url]").forEach(setup);
})();
