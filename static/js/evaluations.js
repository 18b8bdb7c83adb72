// The grading queue's keys: 1-5 pick a score and save, j / k next and previous, c comment.
(function () {
  "use strict";
  var root = document.querySelector("[data-grading]");
  if (!root) return;
  var form = root.querySelector(".grade-form");
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" && target.type === "text")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var key = event.key;
    if (form && key >= "1" && key <= "5") {
      var radio = form.querySelector('input[name="score"][value="' + key + '"]');
      if (radio) {
        radio.checked = true;
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    } else if (key === "j" || key === "ArrowRight") {
      if (root.dataset.next) window.location.search = root.dataset.next.slice(1);
    } else if (key === "k" || key === "ArrowLeft") {
      if (root.dataset.prev) window.location.search = root.dataset.prev.slice(1);
    } else if (key === "c" && form) {
      var comment = form.querySelector("textarea");
      if (comment) { event.preventDefault(); comment.focus(); }
    }
  });
})();
