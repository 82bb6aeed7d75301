/* Live progress for the admin's "Generated images" block: polls the job-status endpoint and
   updates the progress bars in place; when every job has finished, swaps in fresh previews. */
(function () {
  "use strict";
  function activeIds(block) {
    return Array.from(block.querySelectorAll("tr.gan-job[data-active='1']"))
      .map(function (tr) { return tr.dataset.jobId; });
  }
  function poll(block) {
    var ids = activeIds(block);
    if (!ids.length) { return; }
    fetch(block.dataset.statusUrl + "?ids=" + ids.join(","), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        data.jobs.forEach(function (job) {
          var tr = block.querySelector("tr.gan-job[data-job-id='" + job.id + "']");
          if (!tr) { return; }
          tr.querySelector("progress").value = job.progress;
          tr.querySelector(".gan-job-status").textContent = job.status_label;
          tr.querySelector(".gan-job-error").textContent = job.error;
          tr.className = "gan-job gan-job-" + job.status;
          tr.dataset.active = (job.status === "queued" || job.status === "running") ? "1" : "0";
        });
        if (data.active === 0) {
          return fetch(block.dataset.previewsUrl, {credentials: "same-origin"})
            .then(function (r) { return r.text(); })
            .then(function (html) {
              var holder = document.createElement("div");
              holder.innerHTML = html;
              var fresh = holder.querySelector(".gan-imaging-previews");
              if (fresh) { block.replaceWith(fresh); }
            });
        }
        setTimeout(function () { poll(block); }, 1000);
      })
      .catch(function () { setTimeout(function () { poll(block); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".gan-imaging-previews[data-status-url]").forEach(poll);
  });
})();
