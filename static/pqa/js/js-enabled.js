// Lets GOV.UK Frontend style components for JavaScript; kept out of inline script for the CSP.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
// Print links, without inline handlers (Content Security Policy).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("[data-print]");
  if (link) { event.preventDefault(); window.print(); }
});
