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
  function csrfToken() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function refresh(block) {
    fetch(block.dataset.previewsUrl, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(".gan-imaging-previews");
        if (fresh) { block.replaceWith(fresh); poll(fresh); }
      });
  }
  // Focal point: a click on the photo stores where fill crops are centred and regenerates.
  document.addEventListener("click", function (event) {
    var picker = event.target.closest(".gan-focal");
    if (!picker) { return; }
    var box = picker.getBoundingClientRect();
    var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    var marker = picker.querySelector(".gan-focal-marker");
    marker.style.left = (x * 100) + "%";
    marker.style.top = (y * 100) + "%";
    marker.style.display = "block";
    var body = new URLSearchParams({x: x.toFixed(4), y: y.toFixed(4)});
    fetch(picker.dataset.url, {method: "POST", body: body, credentials: "same-origin",
                               headers: {"X-CSRFToken": csrfToken()}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function () { refresh(picker.closest(".gan-imaging-previews")); });
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".gan-imaging-previews[data-status-url]").forEach(poll);
  });
})();
