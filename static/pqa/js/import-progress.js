// The progress bar of a background import (templates/pqa/import_job.html): polls the job's
// JSON and shows the rows checked and written; when the job has finished, reloads the page,
// which then shows the result. Without JavaScript the page refreshes itself (<noscript>).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.getAttribute("data-finished") === "true") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("import-progress-bar");
  var refresh = document.getElementById("import-refresh");
  if (refresh) {
    refresh.parentNode.hidden = true; // the page updates itself
  }

  function text(id, value) {
    var element = document.getElementById(id);
    if (element && value !== undefined && value !== null) {
      element.textContent = String(value);
    }
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
        if (status.finished) {
          window.location.reload();
          return;
        }
        bar.value = status.percent;
        bar.textContent = status.percent + "%";
        text("import-state", status.state_label);
        text("import-rows-checked", status.rows_checked);
        text("import-rows-total", status.rows_total);
        text("import-rows-written", status.rows_written);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        // The server or the network is away for a moment: try again a little later.
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 500);
})();
