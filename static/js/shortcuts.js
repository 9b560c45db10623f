/* Keyboard shortcuts on the thread page (progressive enhancement: the page works without them).
   j / k: next / previous post; r: reply (the answer box); /: search; ?: this help.
   Keys typed in a field, or with Ctrl, Alt or Meta, are left alone. (issue #13, item 2) */
(function () {
  "use strict";
  var thread = document.querySelector("article.thread");
  if (!thread) return;

  var SHORTCUTS = [
    ["j", "Next post"],
    ["k", "Previous post"],
    ["r", "Reply (go to the answer box)"],
    ["/", "Search"],
    ["?", "Show or hide this help"],
    ["Esc", "Close this help"],
  ];
  var dialog = null;
  var returnFocus = null;

  function posts() {
    return Array.prototype.slice.call(thread.querySelectorAll("article.post[id^='post-']"));
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function replyInView() {
    var box = document.getElementById("reply");
    if (!box) return false;
    var rect = box.getBoundingClientRect();
    return rect.top < window.innerHeight && rect.bottom > 0;
  }

  function goTo(step) {
    var list = posts();
    if (!list.length) return;
    // From the post that has the focus (or holds it); else from where the reader is looking:
    // j goes to the first post that starts below the top of the window, k to the last above it.
    var active = document.activeElement;
    var current = -1;
    for (var i = 0; i < list.length; i++) {
      if (list[i] === active || list[i].contains(active)) {
        current = i;
        break;
      }
    }
    var next;
    if (current >= 0) {
      next = current + step;
    } else if (step > 0) {
      next = list.length - 1;
      for (var j = 0; j < list.length; j++) {
        if (list[j].getBoundingClientRect().top > 1) {
          next = j;
          break;
        }
      }
    } else if (replyInView()) {
      // At the answer box (after all the posts), the previous post is the last one, even when
      // the page is too short for the box to reach the top of the window.
      next = list.length - 1;
    } else {
      next = 0;
      for (var k = list.length - 1; k >= 0; k--) {
        if (list[k].getBoundingClientRect().top < -1) {
          next = k;
          break;
        }
      }
    }
    next = Math.max(0, Math.min(list.length - 1, next));
    var post = list[next];
    if (!post.hasAttribute("tabindex")) post.setAttribute("tabindex", "-1");
    post.focus({ preventScroll: true });
    post.scrollIntoView({ block: "start" });
  }

  function reply() {
    var box = document.getElementById("reply");
    if (!box) return;
    var field = box.querySelector("textarea, input:not([type=hidden])");
    if (field) {
      field.focus({ preventScroll: true });
      field.scrollIntoView({ block: "center" });
    } else {
      box.scrollIntoView({ block: "start" });
      var link = box.querySelector("a");
      if (link) link.focus({ preventScroll: true });
    }
  }

  function search() {
    var field = document.getElementById("header-search-q") || document.querySelector("input[type=search]");
    if (field) field.focus();
  }

  function buildDialog() {
    dialog = document.createElement("div");
    dialog.className = "shortcuts-dialog";
    dialog.hidden = true;
    var panel = document.createElement("div");
    panel.className = "shortcuts-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "true");
    panel.setAttribute("aria-labelledby", "shortcuts-title");
    panel.tabIndex = -1;
    var title = document.createElement("h2");
    title.id = "shortcuts-title";
    title.textContent = "Keyboard shortcuts";
    panel.appendChild(title);
    var list = document.createElement("dl");
    SHORTCUTS.forEach(function (pair) {
      var dt = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      dt.appendChild(kbd);
      var dd = document.createElement("dd");
      dd.textContent = pair[1];
      list.appendChild(dt);
      list.appendChild(dd);
    });
    panel.appendChild(list);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button button-small";
    close.textContent = "Close";
    close.addEventListener("click", closeHelp);
    panel.appendChild(close);
    dialog.appendChild(panel);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) closeHelp();
    });
    // Keep Tab inside the dialog while it is open (its one button).
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Tab") {
        event.preventDefault();
        close.focus();
      }
    });
    document.body.appendChild(dialog);
  }

  function openHelp() {
    if (!dialog) buildDialog();
    returnFocus = document.activeElement;
    dialog.hidden = false;
    dialog.querySelector("button").focus();
  }

  function closeHelp() {
    if (!dialog || dialog.hidden) return;
    dialog.hidden = true;
    if (returnFocus && typeof returnFocus.focus === "function" && document.contains(returnFocus)) {
      returnFocus.focus();
    }
    returnFocus = null;
  }

  // Say the shortcuts exist, beside "Jump to reply" (only with the script, which makes them work).
  var jump = document.querySelector(".jump-links");
  if (jump) {
    var hint = document.createElement("button");
    hint.type = "button";
    hint.className = "link-button shortcuts-open";
    hint.textContent = "Keyboard shortcuts (?)";
    hint.addEventListener("click", openHelp);
    jump.appendChild(document.createTextNode(" "));
    jump.appendChild(hint);
  }

  document.addEventListener("keydown", function (event) {
    var open = dialog && !dialog.hidden;
    if (open && event.key === "Escape") {
      event.preventDefault();
      closeHelp();
      return;
    }
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      if (open) closeHelp();
      else openHelp();
      return;
    }
    if (open) return;
    switch (event.key) {
      case "j":
        event.preventDefault();
        goTo(1);
        break;
      case "k":
        event.preventDefault();
        goTo(-1);
        break;
      case "r":
        event.preventDefault();
        reply();
        break;
      case "/":
        event.preventDefault();
        search();
        break;
    }
  });
})();
