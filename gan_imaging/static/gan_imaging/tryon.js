/* Try it in your photo: upload, place (pointer, touch, keyboard), mark the surface, render,
   show and download the result, delete. Plain JavaScript; texts come from data-t-* attributes
   the template renders in the shopper's language. */
(function () {
  "use strict";

  function csrf(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function setup(root) {
    var $ = function (sel) { return root.querySelector(sel); };
    var t = function (key) { return root.getAttribute("data-t-" + key) || ""; };
    var stage = $(".gan-tryon-stage"), photo = $(".gan-tryon-photo"), product = $(".gan-tryon-product");
    var controls = $(".gan-tryon-controls"), keys = $(".gan-tryon-keys");
    var size = $(".gan-tryon-size"), surface = $(".gan-tryon-surface"), horizon = $(".gan-tryon-horizon");
    var line = $(".gan-tryon-horizon-line"), poly = $(".gan-tryon-quad"), cursor = $(".gan-tryon-cursor");
    var progress = $(".gan-tryon-progress"), message = $(".gan-tryon-message"), error = $(".gan-tryon-error");
    var result = $(".gan-tryon-result"), download = $(".gan-tryon-download");
    var state = null;               // the server's answer for the current photo
    var pose = { x: 0.5, y: 0.85, width: 0.3 };
    var marks = { horizon: null, quad: null };
    var marking = null, quadPoints = [], polling = null;
    var aim = [0.5, 0.5];           // the keyboard's marker while marking (shares of the photo)

    function say(text) { message.textContent = text; }
    function fail(text) { error.textContent = text || t("failed"); progress.hidden = true; }
    function aspect() {                       // product height / width, in photo-width units
      var pw = photo.naturalWidth || 1, ph = photo.naturalHeight || 1;
      var cw = product.naturalWidth || 1, ch = product.naturalHeight || 1;
      return (ch / cw) * (pw / ph);
    }
    function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
    function layout() {
      var h = pose.width * aspect();
      product.style.left = ((pose.x - pose.width / 2) * 100) + "%";
      product.style.top = ((pose.y - h) * 100) + "%";
      product.style.width = (pose.width * 100) + "%";
      size.value = Math.round(pose.width * 100);
      var hz = marks.horizon;
      line.setAttribute("visibility", hz === null ? "hidden" : "visible");
      if (hz !== null) { line.setAttribute("y1", hz * 1000); line.setAttribute("y2", hz * 1000); }
      cursor.setAttribute("visibility", marking ? "visible" : "hidden");
      cursor.setAttribute("cx", aim[0] * 1000); cursor.setAttribute("cy", aim[1] * 1000);
      var q = marks.quad || (quadPoints.length ? quadPoints : null);
      poly.setAttribute("visibility", q ? "visible" : "hidden");
      poly.setAttribute("points", q ? q.map(function (p) { return (p[0] * 1000) + "," + (p[1] * 1000); }).join(" ") : "");
    }
    function scale(factor) {
      var base = pose.y;
      pose.width = clamp(pose.width * factor, 0.02, 1.5);
      pose.y = base;
      layout();
    }
    function move(dx, dy) { pose.x = clamp(pose.x + dx, -0.2, 1.2); pose.y = clamp(pose.y + dy, 0, 1.3); layout(); }
    function fraction(ev) {
      var r = photo.getBoundingClientRect();
      return [(ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height];
    }
    async function post(url, body, headers) {
      var res = await fetch(url, { method: "POST", body: body, credentials: "same-origin",
        headers: Object.assign({ "X-CSRFToken": csrf(root) }, headers || {}) });
      var data = {};
      try { data = await res.json(); } catch (e) { data = {}; }
      if (!res.ok) throw new Error(data.error || t("failed"));
      return data;
    }

    // ---- upload
    $(".gan-tryon-file").addEventListener("change", async function (ev) {
      var file = ev.target.files && ev.target.files[0];
      if (!file) return;
      error.textContent = ""; result.hidden = true; say(t("uploading"));
      var form = new FormData();
      form.append("photo", file, (file.name || "photo.jpg").slice(-80));
      try {
        state = await post(root.getAttribute("data-upload-url"), form);
      } catch (e) { say(""); fail(e.message); ev.target.value = ""; return; }
      ev.target.value = "";
      photo.onload = function () {
        stage.hidden = false; controls.hidden = false; keys.hidden = false;
        pose = { x: 0.5, y: 0.85, width: 0.3 }; marks = { horizon: null, quad: null };
        layout(); say(""); product.focus();
      };
      photo.src = state.photo_url;
    });

    // ---- drag and pinch (pointer events cover mouse, pen and touch)
    var pointers = {}, start = null;
    product.addEventListener("pointerdown", function (ev) {
      if (marking) return;
      ev.preventDefault();
      product.setPointerCapture(ev.pointerId);
      pointers[ev.pointerId] = fraction(ev);
      start = { pose: Object.assign({}, pose), pts: JSON.parse(JSON.stringify(pointers)) };
    });
    product.addEventListener("pointermove", function (ev) {
      if (!(ev.pointerId in pointers) || !start) return;
      pointers[ev.pointerId] = fraction(ev);
      var ids = Object.keys(pointers);
      if (ids.length === 1 && start.pts[ids[0]]) {
        var p0 = start.pts[ids[0]], p1 = pointers[ids[0]];
        pose.x = clamp(start.pose.x + p1[0] - p0[0], -0.2, 1.2);
        pose.y = clamp(start.pose.y + p1[1] - p0[1], 0, 1.3);
      } else if (ids.length >= 2 && start.pts[ids[0]] && start.pts[ids[1]]) {
        var d0 = Math.hypot(start.pts[ids[0]][0] - start.pts[ids[1]][0], start.pts[ids[0]][1] - start.pts[ids[1]][1]);
        var d1 = Math.hypot(pointers[ids[0]][0] - pointers[ids[1]][0], pointers[ids[0]][1] - pointers[ids[1]][1]);
        if (d0 > 0.01) pose.width = clamp(start.pose.width * d1 / d0, 0.02, 1.5);
      }
      layout();
    });
    function release(ev) {
      delete pointers[ev.pointerId];
      start = Object.keys(pointers).length ? { pose: Object.assign({}, pose), pts: JSON.parse(JSON.stringify(pointers)) } : null;
    }
    product.addEventListener("pointerup", release);
    product.addEventListener("pointercancel", release);
    product.addEventListener("wheel", function (ev) { ev.preventDefault(); scale(ev.deltaY < 0 ? 1.05 : 1 / 1.05); }, { passive: false });
    product.addEventListener("keydown", function (ev) {
      var step = ev.shiftKey ? 0.05 : 0.01, f = ev.shiftKey ? 1.2 : 1.05;
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[ev.key]) { move(moves[ev.key][0], moves[ev.key][1]); }
      else if (ev.key === "+" || ev.key === "=") { scale(f); }
      else if (ev.key === "-" || ev.key === "_" || ev.key === "\u2212") { scale(1 / f); }
      else { return; }
      ev.preventDefault();
    });
    size.addEventListener("input", function () { pose.width = clamp(size.value / 100, 0.02, 1.5); layout(); });

    // ---- marking the surface
    function startMarking(kind) {
      marking = kind; quadPoints = []; aim = [0.5, marks.horizon === null ? 0.5 : marks.horizon];
      stage.classList.add("gan-tryon-marking"); stage.tabIndex = 0; stage.focus();
    }
    $(".gan-tryon-mark-horizon").addEventListener("click", function () {
      startMarking("horizon"); say(t("horizon-prompt"));
      horizon.disabled = false; if (marks.horizon === null) { marks.horizon = horizon.value / 100; }
      layout();
    });
    $(".gan-tryon-mark-quad").addEventListener("click", function () {
      startMarking("quad"); marks.quad = null; say(t("quad-prompt")); layout();
    });
    $(".gan-tryon-clear").addEventListener("click", function () {
      marking = null; quadPoints = []; marks = { horizon: null, quad: null }; horizon.disabled = true;
      stage.classList.remove("gan-tryon-marking"); say(""); layout();
    });
    horizon.addEventListener("input", function () { marks.horizon = horizon.value / 100; layout(); });
    function mark(p) {
      if (marking === "horizon") {
        marks.horizon = clamp(p[1], 0, 1); horizon.value = Math.round(marks.horizon * 100);
        marking = null; stage.classList.remove("gan-tryon-marking"); say("");
      } else {
        quadPoints.push([clamp(p[0], 0, 1), clamp(p[1], 0, 1)]);
        if (quadPoints.length === 4) {
          marks.quad = quadPoints; quadPoints = []; marking = null;
          stage.classList.remove("gan-tryon-marking"); say(t("quad-done"));
        }
      }
      if (!marking) stage.removeAttribute("tabindex");
      layout();
    }
    stage.addEventListener("click", function (ev) { if (marking) mark(fraction(ev)); });
    stage.addEventListener("keydown", function (ev) {  // marking without a pointer
      if (!marking || ev.target !== stage) return;
      var step = ev.shiftKey ? 0.05 : 0.01;
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[ev.key]) { aim = [clamp(aim[0] + moves[ev.key][0], 0, 1), clamp(aim[1] + moves[ev.key][1], 0, 1)]; layout(); }
      else if (ev.key === "Enter" || ev.key === " ") { mark(aim.slice()); }
      else if (ev.key === "Escape") { marking = null; quadPoints = []; stage.classList.remove("gan-tryon-marking"); stage.removeAttribute("tabindex"); say(""); layout(); }
      else { return; }
      ev.preventDefault();
    });

    // ---- render, progress, result
    function show(data) {
      state = data;
      if (data.status === "queued" || data.status === "running") {
        progress.hidden = false; progress.value = data.progress || 0;
        say(t(data.status)); return false;
      }
      progress.hidden = true;
      if (data.status === "succeeded") {
        say(t("ready"));
        var img = result.querySelector("img");
        img.src = data.result_url; download.href = data.download_url; result.hidden = false;
      } else if (data.status === "failed") { say(""); fail(data.error); }
      return true;
    }
    function poll() {
      clearTimeout(polling);
      polling = setTimeout(async function () {
        try {
          var res = await fetch(state.status_url, { credentials: "same-origin", cache: "no-store" });
          var data = await res.json();
          if (!res.ok) { fail(data.error); return; }
          if (!show(data)) poll();
        } catch (e) { poll(); }
      }, 400);
    }
    $(".gan-tryon-render").addEventListener("click", async function () {
      if (!state) return;
      error.textContent = ""; result.hidden = true;
      var body = { x: pose.x, y: pose.y, width: pose.width, surface: surface.value,
                   horizon: marks.horizon, quad: marks.quad };
      try {
        show(await post(state.render_url, JSON.stringify(body), { "Content-Type": "application/json" }));
        poll();
      } catch (e) { fail(e.message); }
    });
    $(".gan-tryon-delete").addEventListener("click", async function () {
      if (!state) return;
      clearTimeout(polling);
      try { await post(state.delete_url, ""); } catch (e) { fail(e.message); return; }
      state = null; photo.removeAttribute("src"); result.querySelector("img").removeAttribute("src");
      stage.hidden = true; controls.hidden = true; keys.hidden = true; result.hidden = true; progress.hidden = true;
      error.textContent = ""; say(t("deleted"));
    });
  }

  function init() { document.querySelectorAll(".gan-tryon").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
