/* Live progress for the admin's "Generated images" block: polls the job-status endpoint and
   updates progress bars, status and attempts in place; whenever a job finishes, swaps in fresh
   previews (so each kind's renditions appear as soon as its own job is done) and polls on. */
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
        var finished = false;
        data.jobs.forEach(function (job) {
          var tr = block.querySelector("tr.gan-job[data-job-id='" + job.id + "']");
          if (!tr) { return; }
          var active = job.status === "queued" || job.status === "running";
          tr.querySelector("progress").value = job.progress;
          tr.querySelector(".gan-job-status").textContent = job.status_label;
          tr.querySelector(".gan-job-attempts").textContent =
            job.attempts + "/" + job.max_attempts;
          tr.querySelector(".gan-job-error").textContent = job.error;
          tr.className = "gan-job gan-job-" + job.status;
          if (tr.dataset.active === "1" && !active) { finished = true; }
          // A first pass shown before the job ends (thumbnails' preview) counts too.
          if (job.shown > Number(tr.dataset.shown || 0)) { finished = true; }
          tr.dataset.active = active ? "1" : "0";
          tr.dataset.shown = String(job.shown);
        });
        // A kind's renditions are ready: show them now, not when every kind is done.
        if (finished) { refresh(block); return; }
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
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(".gan-imaging-previews");
        if (fresh) { block.replaceWith(fresh); poll(fresh); }
      })
      .catch(function () { setTimeout(function () { poll(block); }, 5000); });
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
  // A file name of several hundred characters (UTF-8 bytes) is more than the server's upload
  // parser takes: send the photo under a shorter name (the stored name is made from it anyway).
  var MAX_NAME_BYTES = 200;
  function shortName(name) {
    var dot = name.lastIndexOf(".");
    var ext = dot > 0 ? Array.from(name.slice(dot)).slice(0, 17).join("") : "";
    var stem = Array.from(dot > 0 ? name.slice(0, dot) : name);
    while (stem.length && new TextEncoder().encode(stem.join("") + ext).length > MAX_NAME_BYTES) {
      stem.pop();
    }
    return (stem.join("") || "photo") + ext;
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-gan-image]") ||
        !input.files || !input.files.length || typeof DataTransfer === "undefined") { return; }
    var file = input.files[0];
    if (new TextEncoder().encode(file.name).length <= MAX_NAME_BYTES) { return; }
    var renamed = new DataTransfer();
    renamed.items.add(new File([file], shortName(file.name),
                               {type: file.type, lastModified: file.lastModified}));
    input.files = renamed.files;
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".gan-imaging-previews[data-status-url]").forEach(poll);
  });
})();
