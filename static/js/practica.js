/* Practica: small enhancements; every page works without them.
 * - Markdown live preview: [data-preview-url] containers show the server's sanitized HTML.
 * - Tag suggestions: inputs with list="tag-options" suggest the community's existing tags for
 *   the tag being typed after the last comma, scrolled into the part of the screen the
 *   on-screen keyboard leaves.
 * - Links to a post written as the thread's address + #post-N (before threads had pages) go on
 *   to the post's own address, which knows its page, when the post is not on the first page.
 */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setupPreview(container) {
    var textarea = document.getElementById(container.getAttribute("data-preview-for"));
    var output = container.querySelector(".preview-body");
    if (!textarea || !output) return;
    var url = container.getAttribute("data-preview-url");
    var form = textarea.form;
    var timer = null;
    var sent = 0;

    function render() {
      var text = textarea.value;
      if (!text.trim()) {
        container.hidden = true;
        output.innerHTML = "";
        return;
      }
      var ticket = ++sent;
      var body = new URLSearchParams();
      body.set("body", text);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "fetch" },
        body: body,
      })
        .then(function (response) {
          return response.text().then(function (html) {
            return { ok: response.ok, html: html };
          });
        })
        .then(function (result) {
          if (ticket !== sent) return; // a newer preview is on its way
          container.hidden = false;
          if (result.ok) {
            // Sanitized on the server by the same code that renders saved posts.
            output.innerHTML = result.html;
          } else {
            output.textContent = result.html || "The preview is not available right now.";
          }
        })
        .catch(function () {
          if (ticket !== sent) return;
          container.hidden = false;
          output.textContent = "The preview is not available right now.";
        });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    });
    if (textarea.value.trim()) render();
  }

  function setupTagSuggestions(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var known = Array.prototype.map.call(list.options, function (option) {
      return option.value;
    });
    // The datalist suggests whole values only; with comma-separated tags we suggest per tag.
    input.removeAttribute("list");
    var box = document.createElement("div");
    box.className = "tag-suggestions";
    box.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", box);

    function parts() {
      return input.value.split(",");
    }

    function show() {
      var all = parts();
      var current = all[all.length - 1].trim().toLowerCase();
      var chosen = all.slice(0, -1).map(function (t) {
        return t.trim().toLowerCase();
      });
      box.innerHTML = "";
      if (!current) return;
      var matches = known
        .filter(function (name) {
          return name.indexOf(current) !== -1 && chosen.indexOf(name) === -1 && name !== current;
        })
        .slice(0, 8);
      if (!matches.length) return;
      var label = document.createElement("span");
      label.className = "hint";
      label.textContent = "Existing tags: ";
      box.appendChild(label);
      matches.forEach(function (name) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "tag tag-button";
        button.textContent = name;
        button.addEventListener("click", function () {
          var kept = parts().slice(0, -1).map(function (t) {
            return t.trim();
          });
          kept.push(name);
          input.value = kept.join(", ") + ", ";
          box.innerHTML = "";
          input.focus();
        });
        box.appendChild(button);
      });
      keepInView();
    }

    // On a phone the on-screen keyboard covers the lower part of the page: the suggestions
    // under the field would be hidden behind it. Scroll just enough to show them (the visual
    // viewport is what is left above the keyboard).
    function keepInView() {
      var view = window.visualViewport;
      var bottom = view ? view.offsetTop + view.height : window.innerHeight;
      var overflow = box.getBoundingClientRect().bottom - bottom;
      if (overflow > 0) window.scrollBy(0, overflow + 8);
    }

    input.addEventListener("input", show);
  }

  function followPostAnchor(article) {
    var match = /^#post-(\d+)$/.exec(window.location.hash);
    if (match && !document.getElementById("post-" + match[1])) {
      window.location.replace(article.getAttribute("data-post-base") + match[1] + "/");
    }
  }

  document.querySelectorAll("[data-preview-url]").forEach(setupPreview);
  document.querySelectorAll("[data-post-base]").forEach(followPostAnchor);
  document.querySelectorAll("input[list=tag-options]").forEach(setupTagSuggestions);
})();
