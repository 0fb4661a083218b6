// The groups of the header's menu (templates/base.html): each is a disclosure button that
// shows or hides its list of entries (WAI-ARIA disclosure navigation). Without this script
// the button stays hidden and the group's link leads to the menu page instead.
(function () {
  "use strict";
  var groups = Array.prototype.slice.call(document.querySelectorAll(".pqa-nav-group"));
  if (!groups.length) { return; }

  function parts(group) {
    return {
      link: group.querySelector(".pqa-nav-group__link"),
      button: group.querySelector(".pqa-nav-group__toggle"),
      list: group.querySelector(".pqa-nav-group__list")
    };
  }

  function setOpen(group, open) {
    var p = parts(group);
    p.button.setAttribute("aria-expanded", open ? "true" : "false");
    p.list.hidden = !open;
  }

  function closeOthers(except) {
    groups.forEach(function (group) { if (group !== except) { setOpen(group, false); } });
  }

  groups.forEach(function (group) {
    var p = parts(group);
    if (!p.link || !p.button || !p.list) { return; }
    p.link.hidden = true;
    p.button.hidden = false;
    p.button.addEventListener("click", function () {
      var open = p.button.getAttribute("aria-expanded") !== "true";
      closeOthers(group);
      setOpen(group, open);
    });
    // Escape closes the open group and gives the focus back to its button.
    group.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && p.button.getAttribute("aria-expanded") === "true") {
        setOpen(group, false);
        p.button.focus();
        event.stopPropagation();
      }
    });
    // Tabbing out of the menu closes an open group, so it never covers the page behind the
    // focus (WCAG 2.4.11). Within the menu it stays until another group opens: closing it as
    // the focus moves would shift the items below it on a phone from under the finger.
    group.addEventListener("focusout", function (event) {
      var menu = group.closest("nav");
      if (event.relatedTarget && !(menu || group).contains(event.relatedTarget)) { setOpen(group, false); }
    });
  });

  // A click or tap elsewhere closes whichever group is open.
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".pqa-nav-group")) { closeOthers(null); }
  });
})();
