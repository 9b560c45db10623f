// Thread page on a phone: the sticky Answer/Reply button hides while the reply box itself is
// on screen (it would only cover what it points to). Without script the button stays; it is a
// plain link to #reply.
(function () {
  "use strict";
  var thread = document.querySelector(".thread.has-sticky-reply");
  var box = document.getElementById("reply");
  if (!thread || !box || !("IntersectionObserver" in window)) return;
  new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      thread.classList.toggle("reply-in-view", entry.isIntersecting);
    });
  }).observe(box);
})();
