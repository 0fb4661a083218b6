// The progress bar of a quarterly report being generated (templates/reporting/reports/report.html):
// polls the report's JSON and moves the bar; when the generation has finished, reloads the page,
// which then shows the files and the web version. Without JavaScript the page refreshes itself
// (<noscript>). The narrative form on the same page is left alone: typing is never lost.
(function () {
  "use strict";
  var box = document.getElementById("report-progress");
  if (!box || box.getAttribute("data-running") !== "true") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("report-progress-bar");
  var refresh = document.getElementById("report-refresh");
  if (refresh) {
    refresh.parentNode.hidden = true; // the page updates itself
  }

  function text(id, value) {
    var element = document.getElementById(id);
    if (element && value !== undefined && value !== null && value !== "") {
      element.textContent = String(value);
    }
  }

  function typing() {
    // Reloading would throw away what someone is typing: wait until they save it themselves.
    var form = document.getElementById("narrative-form");
    return form && form.getAttribute("data-changed") === "true";
  }

  var form = document.getElementById("narrative-form");
  if (form) {
    form.addEventListener("input", function () {
      form.setAttribute("data-changed", "true");
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
        bar.value = status.percent;
        bar.textContent = status.percent + "%";
        text("report-percent", status.percent);
        text("report-step", status.step || status.state_label);
        if (status.finished) {
          if (typing()) {
            text("report-step", status.state_label + ": save the narrative to see the report");
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
