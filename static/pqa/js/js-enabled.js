// Lets GOV.UK Frontend style components for JavaScript; kept out of inline script for the CSP.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
