// The progress bar of a background job (an import, a quarterly report): polls the job's JSON
// (data-status-url on the element marked data-job-progress="running"), moves the <progress>
// inside it and fills every element marked data-job-field="KEY [FALLBACK]" with the status's
// first value that is there. When the job has finished it reloads the page, which then shows
// the result, unless someone has typed into a form marked data-keep-typed since the page
// opened: reloading would throw that away, so the page says so instead (data-typed-message).
// Without JavaScript the page refreshes itself (<noscript>); the "Refresh this page" link
// (data-job-refresh) is hidden here, as the page updates itself.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-progress]");
  if (!box || box.getAttribute("data-job-progress") !== "running") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var refresh = document.querySelector("[data-job-refresh]");
  if (refresh) {
    refresh.parentNode.hidden = true;
  }
  var typed = false;
  Array.prototype.forEach.call(document.querySelectorAll("form[data-keep-typed]"), function (form) {
    form.addEventListener("input", function () {
      typed = true;
    });
  });

  function show(status) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-job-field]"), function (element) {
      var keys = element.getAttribute("data-job-field").split(" ");
      for (var i = 0; i < keys.length; i++) {
        var value = status[keys[i]];
        if (value !== undefined && value !== null && value !== "") {
          element.textContent = String(value);
          return;
        }
      }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        if (bar) {
          bar.value = status.percent;
          bar.textContent = status.percent + "%";
        }
        show(status);
        if (status.finished) {
          var label = box.querySelector("[data-job-field~='state_label']");
          if (typed && label) {
            label.textContent = status.state_label + ": " + box.getAttribute("data-typed-message");
            return;
          }
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        // The server or the network is away for a moment: try again a little later.
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 500);
})();
