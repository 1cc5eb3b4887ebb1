/* The survey one step at a time, with auto-advance, idle reset and a submission that is never lost:
   answers wait in localStorage until the kiosk has confirmed they are stored. Without this script the
   survey is one long form that still submits. */
(function () {
  "use strict";
  var PENDING = "skm-pending-v1";
  document.documentElement.classList.add("js");

  function loadPending() {
    try { return JSON.parse(localStorage.getItem(PENDING) || "{}"); } catch (e) { return {}; }
  }
  function storePending(all) {
    try { localStorage.setItem(PENDING, JSON.stringify(all)); } catch (e) { /* private mode: memory only */ }
  }
  function remember(key, entry) { var all = loadPending(); all[key] = entry; storePending(all); }
  function forget(key) { var all = loadPending(); delete all[key]; storePending(all); }

  async function freshToken(url) {
    var r = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!r.ok) { throw new Error("csrf " + r.status); }
    return (await r.json()).csrf_token;
  }

  /* One attempt: a fresh CSRF token, then the answers. Resolves to the server's JSON verdict. */
  async function send(entry) {
    var token = await freshToken(entry.csrfUrl);
    var body = new URLSearchParams();
    entry.fields.forEach(function (kv) { if (kv[0] !== "csrf_token") { body.append(kv[0], kv[1]); } });
    body.append("csrf_token", token);
    var r = await fetch(entry.action, { method: "POST", body: body, credentials: "same-origin",
                                        headers: { "Accept": "application/json" } });
    var data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.ok && data && data.status === "saved") { return data; }
    if (r.status === 400 && data && data.status === "invalid") { return data; }
    throw new Error("not stored yet: " + r.status + " " + (data && data.status));
  }

  /* Keep sending until stored, with capped exponential backoff. */
  async function deliver(key, entry, onRetry) {
    var delay = 500;
    for (;;) {
      try {
        var verdict = await send(entry);
        forget(key);
        return verdict;
      } catch (e) {
        if (onRetry) { onRetry(e); }
        await new Promise(function (ok) { setTimeout(ok, delay); });
        delay = Math.min(delay * 2, 15000);
      }
    }
  }

  function flushPending(except) {
    var all = loadPending();
    Object.keys(all).forEach(function (key) { if (key !== except) { deliver(key, all[key]); } });
  }

  function setupSurvey(form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll(".step"));
    var current = 0;
    var lastPointer = 0;
    var submitting = false;
    var status = form.querySelector(".status");
    form.noValidate = true;
    form.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });

    function answered(step) {
      var radios = step.querySelectorAll("input[type=radio][required]");
      if (!radios.length) { return true; }
      return Array.prototype.some.call(radios, function (r) { return r.checked; });
    }
    function refreshNext(step) {
      var next = step.querySelector("[data-next]");
      if (next) { next.disabled = !answered(step); }
    }
    function show(index, focus) {
      current = Math.max(0, Math.min(index, steps.length - 1));
      steps.forEach(function (s, i) { s.classList.toggle("current", i === current); });
      var step = steps[current];
      refreshNext(step);
      step.setAttribute("tabindex", "-1");
      if (focus !== false) { step.focus({ preventScroll: true }); }
      window.scrollTo(0, 0);
    }
    function firstProblem() {
      var withError = form.querySelector(".field-error");
      if (withError) { return steps.indexOf(withError.closest(".step")); }
      return 0;
    }

    form.addEventListener("pointerdown", function () { lastPointer = Date.now(); });
    form.addEventListener("change", function (e) {
      var step = e.target.closest(".step");
      refreshNext(step);
      var auto = e.target.type === "radio" && e.target.required && Date.now() - lastPointer < 1500;
      if (auto && steps.indexOf(step) === current) {
        setTimeout(function () { if (steps.indexOf(step) === current) { show(current + 1); } }, 250);
      }
    });
    form.addEventListener("click", function (e) {
      if (e.target.closest("[data-next]")) { show(current + 1); }
      if (e.target.closest("[data-back]")) { show(current - 1); }
    });

    /* Idle mid-survey: count where it stopped, discard the answers, back to the start. */
    var idleMs = parseInt(form.dataset.idle, 10) * 1000;
    var idleTimer = null;
    function abandon() {
      if (submitting) { return; }
      var data = new FormData();
      data.append("csrf_token", form.elements.csrf_token.value);
      data.append("ticket", form.elements.ticket.value);
      data.append("reached", steps[current].dataset.step);
      data.append("step", String(current));
      var service = form.querySelector("input[name=service]:checked, input[type=hidden][name=service]");
      if (service) { data.append("service", service.value); }
      navigator.sendBeacon(form.dataset.abandon, data);
      form.reset();
      window.location.replace(form.dataset.home);
    }
    function resetIdle() {
      clearTimeout(idleTimer);
      if (idleMs > 0) { idleTimer = setTimeout(abandon, idleMs); }
    }
    ["pointerdown", "keydown", "input", "change"].forEach(function (type) {
      document.addEventListener(type, resetIdle, true);
    });
    resetIdle();

    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      if (submitting) { return; }
      submitting = true;
      clearTimeout(idleTimer);
      var button = form.querySelector("[type=submit]");
      button.disabled = true;
      status.textContent = form.dataset.saving;
      var entry = { action: form.action, csrfUrl: form.dataset.csrfUrl,
                    fields: Array.from(new FormData(form).entries()) };
      var key = form.elements.ticket.value;
      remember(key, entry);
      var verdict = await deliver(key, entry, function () { status.textContent = form.dataset.retrying; });
      if (verdict.status === "saved") {
        window.location.replace(verdict.thanks_url);
        return;
      }
      /* The server refused the answers as they are: let it show them with the reasons, kept. */
      HTMLFormElement.prototype.submit.call(form);
    });

    show(firstProblem(), false);
    flushPending(form.elements.ticket.value);
  }

  /* The thank-you screen returns to the start by itself; a tap or a key gives a slow reader more time. */
  function setupReturn(link) {
    var ms = parseInt(link.dataset.returnAfter, 10) * 1000;
    var timer = null;
    if (!(ms > 0)) { return; }
    function arm() {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.replace(link.href); }, ms);
    }
    ["pointerdown", "keydown"].forEach(function (type) { document.addEventListener(type, arm, true); });
    arm();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var form = document.getElementById("survey");
    if (form) { setupSurvey(form); } else { flushPending(null); }
    var done = document.querySelector("[data-return-after]");
    if (done) { setupReturn(done); }
  });
})();
