// The export page and an export job's page.
// The form: once submitted its buttons are disabled (a second tap starts nothing) and it says that
// the file is being made. A direct download (no background jobs) sends a token; the server answers
// with a cookie carrying it when the file starts to download, and the form is usable again.
// The job's page: asks for the job's state every two seconds until it has finished or failed.
(function () {
  "use strict";

  var form = document.getElementById("export-form");
  if (form) {
    var status = document.getElementById("export-status");
    var message = status && status.querySelector(".export-message");
    var busy = false;

    var buttons = function () { return form.querySelectorAll("button[type=submit]"); };
    var setBusy = function (on) {
      busy = on;
      Array.prototype.forEach.call(buttons(), function (b) {
        b.disabled = on;
        b.setAttribute("aria-disabled", on ? "true" : "false");
      });
      if (status) { status.hidden = !on && !status.dataset.keep; }
    };
    var say = function (text) { if (message) { message.textContent = text; } };
    var seconds = function (template, s) { return template.replace("{s}", String(s)); };

    form.addEventListener("submit", function (event) {
      if (busy) { event.preventDefault(); return; }
      var tokenField = form.querySelector("input[name=token]");
      var token = null;
      if (tokenField) {
        token = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
        tokenField.value = token;
      }
      busy = true;  // from now on a second tap sends nothing
      // the buttons are disabled once the browser has read the form (a disabled button's choice is not sent)
      setTimeout(function () { setBusy(true); }, 0);
      var started = Date.now();
      if (status) {
        delete status.dataset.keep;
        status.querySelector(".progress").hidden = false;
      }
      say(seconds(form.dataset.textBusy, 0));
      if (!token) { return; }  // a background job: the job's page takes over
      var timer = setInterval(function () {
        var s = Math.round((Date.now() - started) / 1000);
        if (document.cookie.indexOf("relief-export=" + token) !== -1) {
          clearInterval(timer);
          document.cookie = "relief-export=; Max-Age=0; path=/exports";
          status.dataset.keep = "1";
          say(form.dataset.textStarted);
          setBusy(false);
          status.querySelector(".progress").hidden = true;
          return;
        }
        say(seconds(s > 180 ? form.dataset.textSlow : form.dataset.textBusy, s));
        if (s > 600) { clearInterval(timer); setBusy(false); }
      }, 1000);
    });
  }

  var box = document.getElementById("export-job");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector(".progress");
  var jobMessage = box.querySelector(".job-message");
  var link = box.querySelector(".job-file");

  function sayJob(job) {
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
    var text = sayJob(job);
    if (jobMessage.textContent.trim() !== text) { jobMessage.textContent = text; }
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
