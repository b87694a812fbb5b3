// The progress of a background import (flow/import_detail.html): polls the run's JSON status
// and updates the bar and its text; when the import ends, says so in the live region and links
// to the full result. Without script the page asks the reader to reload it.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  var done = document.getElementById("import-progress-done");
  var status = document.getElementById("import-status");
  var interval = 2000;

  function show(data) {
    if (data.rows_estimate) {
      bar.max = Math.max(data.rows_estimate, data.rows);
      bar.value = data.rows;
    }
    bar.textContent = data.text;
    text.textContent = data.text;
    if (status) {
      status.textContent = data.status_label;
    }
    if (data.finished) {
      if (data.status === "done" && data.rows_estimate) {
        bar.value = bar.max;
      }
      done.textContent = data.text + " ";
      var link = document.createElement("a");
      link.href = window.location.pathname;
      link.textContent = box.getAttribute("data-result-label") || "";
      done.appendChild(link);
      return false;
    }
    return true;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (show(data)) {
          window.setTimeout(poll, interval);
        }
      })
      .catch(function () {
        // A network hiccup or a restart: try again, less often.
        interval = Math.min(interval * 2, 30000);
        window.setTimeout(poll, interval);
      });
  }

  window.setTimeout(poll, interval);
})();
