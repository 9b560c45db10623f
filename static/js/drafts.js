/* Drafts: the reply box and the new-thread form are saved on the server as the member types
   (1.5 s after typing stops, and when the page is left), so a half-written text survives a
   reload or another device. Progressive: without this script the page still restores the
   draft it was rendered with, and "Discard draft" is a plain form. */
(function () {
  "use strict";

  var DELAY = 1500;

  function setup(form) {
    var url = form.getAttribute("data-draft-url");
    var place = form.getAttribute("data-draft-place");
    var note = form.parentNode.querySelector("[data-draft-note]");
    var status = note && note.querySelector("[data-draft-status]");
    var discard = note && note.querySelector("[data-draft-discard]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var fields = ["body", "title", "tags"]
      .map(function (name) { return form.querySelector("[name=" + name + "]"); })
      .filter(Boolean);
    var timer = null;
    var dirty = false;
    var submitting = false;

    function payload() {
      var data = new FormData();
      data.set("place", place);
      data.set("csrfmiddlewaretoken", token ? token.value : "");
      fields.forEach(function (field) { data.set(field.name, field.value); });
      return data;
    }

    function say(text) {
      if (status) status.textContent = text;
    }

    function save() {
      timer = null;
      if (!dirty || submitting) return;
      dirty = false;
      var empty = fields.every(function (field) { return !field.value.trim(); });
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch" },
        body: payload(),
      })
        .then(function (response) {
          if (response.ok) {
            say(empty ? "" : "Saved");
          } else {
            say("Not saved");
          }
        })
        .catch(function () { say("Not saved (offline?)"); });
    }

    function changed() {
      dirty = true;
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, DELAY);
    }

    fields.forEach(function (field) { field.addEventListener("input", changed); });
    form.addEventListener("submit", function () {
      submitting = true;
      if (timer) clearTimeout(timer);
    });
    if (discard) {
      discard.addEventListener("submit", function () {
        submitting = true;
        if (timer) clearTimeout(timer);
      });
    }
    window.addEventListener("pagehide", function () {
      if (!dirty || submitting) return;
      dirty = false;
      if (timer) clearTimeout(timer);
      // The token rides in the body: a beacon cannot set headers.
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, payload()))) {
        fetch(url, { method: "POST", credentials: "same-origin", keepalive: true, body: payload() });
      }
    });
  }

  document.querySelectorAll("form[data-draft-form]").forEach(setup);
})();
