// The export job's page: asks for the job's state every two seconds until it has finished or failed.
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector(".progress");
  var message = box.querySelector(".job-message");
  var link = box.querySelector(".job-file");

  function say(job) {
    if (job.state === "finished") { return box.dataset.textFinished; }
    if (job.state === "failed") { return box.dataset.textFailed; }
    if (job.state === "started" && job.sheet) {
      return box.dataset.textRows.replace("{sheet}", job.sheet).replace("{n}", job.sheet_index + 1)
        .replace("{total}", job.sheets).replace("{rows}", job.rows.toLocaleString());
    }
    return box.dataset.textQueued;
  }

  function show(job) {
    bar.style.width = job.percent + "%";
    bar.textContent = job.percent + "%";
    meter.setAttribute("aria-valuenow", job.percent);
    var text = say(job);
    if (message.textContent.trim() !== text) { message.textContent = text; }
    if (job.file) {
      link.href = job.file;
      link.classList.remove("d-none");
    }
    return job.state === "finished" || job.state === "failed";
  }

  function poll() {
    fetch(box.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job || !show(job)) { setTimeout(poll, 2000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
