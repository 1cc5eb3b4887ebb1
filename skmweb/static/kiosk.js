/* The survey one step at a time, with auto-advance, idle reset and a submission that is never lost:
   answers wait in localStorage until the kiosk has confirmed they are stored, delivered in the background
   on every page, so the tablet goes on while the office PC is down (with static/sw.js, see kiosk/offline.py).
   Without this script the survey is one long form that still submits. */
(function () {
  "use strict";
  var PENDING = "skm-pending-v1";
  var TABLET = "skm-tablet-id";
  var REPORTED = "skm-reported-unsent";
  var ATTEMPT_MS = 6000;  /* a hung office PC counts as down after this */
  var config = (document.currentScript && document.currentScript.dataset) || {};
  document.documentElement.classList.add("js");

  function readStored(name) {
    try { return localStorage.getItem(name); } catch (e) { return null; }
  }
  function writeStored(name, value) {
    try { localStorage.setItem(name, value); } catch (e) { /* private mode: memory only */ }
  }
  function loadPending() {
    try { return JSON.parse(readStored(PENDING) || "{}"); } catch (e) { return {}; }
  }
  function storePending(all) { writeStored(PENDING, JSON.stringify(all)); }
  function remember(key, entry) { var all = loadPending(); all[key] = entry; storePending(all); }
  function forget(key) { var all = loadPending(); delete all[key]; storePending(all); }

  function attemptSignal() { return AbortSignal.timeout ? AbortSignal.timeout(ATTEMPT_MS) : undefined; }

  async function freshToken(url) {
    var r = await fetch(url, { credentials: "same-origin", cache: "no-store", signal: attemptSignal() });
    if (!r.ok) { throw new Error("csrf " + r.status); }
    return (await r.json()).csrf_token;
  }

  /* One attempt: a fresh CSRF token, then the answers with the tablet's clock (the citizen's Kirim and now,
     so a late delivery keeps the citizen's times). Resolves to the server's JSON verdict. */
  async function send(entry) {
    var token = await freshToken(entry.csrfUrl);
    var body = new URLSearchParams();
    entry.fields.forEach(function (kv) { if (kv[0] !== "csrf_token") { body.append(kv[0], kv[1]); } });
    body.append("csrf_token", token);
    body.append("submitted_ms", String(entry.submittedMs));
    body.append("sent_ms", String(Date.now()));
    var r = await fetch(entry.action, { method: "POST", body: body, credentials: "same-origin",
                                        headers: { "Accept": "application/json" }, signal: attemptSignal() });
    var data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.ok && data && data.status === "saved") { return data; }
    if (r.status === 400 && data && data.status === "invalid") { return data; }
    throw new Error("not stored yet: " + r.status + " " + (data && data.status));
  }

  /* The citizen's own attempt: the verdict (the answers are forgotten once saved), or null when the kiosk
     cannot be reached; they stay in the outbox then. */
  async function attempt(key, entry) {
    try {
      var verdict = await send(entry);
      if (verdict.status === "saved") { forget(key); }
      return verdict;
    } catch (e) {
      return null;
    }
  }

  /* Wait, or less when the browser says the network is back. */
  function pause(ms) {
    return new Promise(function (resume) {
      function wake() { clearTimeout(timer); window.removeEventListener("online", wake); resume(); }
      var timer = setTimeout(wake, ms);
      window.addEventListener("online", wake);
    });
  }

  /* In the background: keep sending until stored, with capped exponential backoff. Answers the kiosk
     refuses as they are (a service removed meanwhile) stay on the tablet, marked, and are counted unsent.
     Another tab may deliver the same answers at once: the kiosk stores one row per ticket. */
  var delivering = {};
  async function deliver(key) {
    if (delivering[key]) { return; }
    delivering[key] = true;
    var delay = 500;
    try {
      for (var entry = loadPending()[key]; entry; entry = loadPending()[key]) {
        var verdict = await attempt(key, entry);
        if (verdict) {
          if (verdict.status !== "saved") { remember(key, Object.assign(entry, { refused: verdict.errors })); }
          return;
        }
        await pause(delay);
        delay = Math.min(delay * 2, 15000);
      }
    } finally {
      delete delivering[key];
      reportUnsent();
    }
  }

  function flushPending(except) {
    var all = loadPending();
    Object.keys(all).forEach(function (key) { if (key !== except && !all[key].refused) { deliver(key); } });
  }

  /* -- the tablet while the office PC is down ---------------------------------------------------------- */

  function uuid4() {
    var b = crypto.getRandomValues(new Uint8Array(16));  /* randomUUID needs HTTPS; this works on a plain LAN */
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.from(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  /* The kept survey page has no ticket: the tablet mints one per citizen (see kiosk/responses.py). */
  function mintOfflineTicket(form) {
    var ticket = form.elements.ticket;
    if (ticket && !ticket.value) { ticket.value = "offline:" + uuid4() + ":" + Date.now(); }
  }

  function tabletId() {
    var id = readStored(TABLET);
    if (!id) { id = uuid4(); writeStored(TABLET, id); }
    return id;
  }

  /* Tell the kiosk how many answers this tablet holds unsent (the staff page lists them): while it holds
     any, and once more when it holds none, so it drops off the list. Offline this simply fails, and the
     next beat tries again. */
  async function reportUnsent() {
    var unsent = Object.keys(loadPending()).length;
    var reported = parseInt(readStored(REPORTED), 10) || 0;
    if (!config.heartbeat || (unsent === 0 && reported === 0)) { return; }
    try {
      var token = await freshToken(config.csrfUrl);
      var r = await fetch(config.heartbeat, {
        method: "POST", credentials: "same-origin", signal: attemptSignal(),
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ tablet: tabletId(), counter: config.counter || null, unsent: unsent }) });
      if (r.ok) { writeStored(REPORTED, String(unsent)); }
    } catch (e) { /* not reachable now */ }
  }

  function watchOutbox() {
    var seconds = parseInt(config.heartbeatSeconds, 10);
    reportUnsent();
    if (seconds > 0) { setInterval(reportUnsent, seconds * 1000); }
    window.addEventListener("online", function () { flushPending(null); });
  }

  /* Install the service worker and ask it to keep this counter's pages (named by the welcome page). */
  function keepForOffline() {
    if (!("serviceWorker" in navigator) || !config.serviceWorker) { return; }
    var pages = (config.offlinePages || "").split(" ").filter(Boolean);
    navigator.serviceWorker.register(config.serviceWorker)
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        if (pages.length) { registration.active.postMessage({ type: "keep", pages: pages }); }
      })
      .catch(function () { /* no service worker (plain HTTP on a LAN): the outbox still keeps the answers */ });
  }

  /* A double tap's second tap lands on whatever the first one brought up: a new step ignores taps at first. */
  var GUARD_MS = 500;
  var ADVANCE_MS = 250;
  var TAKES_TAPS = ".options, .faces, .nav, .submit-row, textarea, .dialog-actions";
  var releases = new WeakMap();

  function setTaps(container, on) {
    container.querySelectorAll(TAKES_TAPS).forEach(function (el) { el.inert = !on; });
  }
  /* The controls of ``container`` take no tap (inert: the tap falls on the step behind them) ... */
  function holdTaps(container) {
    clearTimeout(releases.get(container));
    setTaps(container, false);
  }
  /* ... for GUARD_MS from now. */
  function guardTaps(container) {
    holdTaps(container);
    releases.set(container, setTimeout(function () { setTaps(container, true); }, GUARD_MS));
  }
  function releaseTaps(container) {
    clearTimeout(releases.get(container));
    setTaps(container, true);
  }

  /* A tap that landed before this script ran (the survey page is new after "Mulai survei") is undone:
     only what the server rendered as chosen stays chosen. */
  function undoEarlyTaps(form) {
    form.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.defaultChecked; });
  }

  /* "Dengarkan" reads the question and its answers aloud, where the device has a voice for the language. */
  function setupListen(form) {
    var buttons = form.querySelectorAll("[data-listen]");
    var synth = window.speechSynthesis;
    if (!buttons.length || !synth || !window.SpeechSynthesisUtterance) { return; }
    var lang = document.documentElement.lang;
    var voice = null;
    function pickVoice() {
      voice = synth.getVoices().filter(function (v) {
        return v.lang.toLowerCase().split(/[-_]/)[0] === lang;
      })[0] || null;
      buttons.forEach(function (b) { b.hidden = !voice; });
    }
    pickVoice();
    if (synth.addEventListener) { synth.addEventListener("voiceschanged", pickVoice); }
    form.addEventListener("click", function (e) {
      var button = e.target.closest("[data-listen]");
      if (!button || !voice) { return; }
      var step = button.closest(".step");
      var words = [step.querySelector(".question-text").textContent].concat(Array.prototype.map.call(
        step.querySelectorAll("input[type=radio]"), function (r) { return r.getAttribute("aria-label"); }));
      var utterance = new SpeechSynthesisUtterance(words.join(". "));
      utterance.voice = voice;
      utterance.lang = voice.lang;
      synth.cancel();
      synth.speak(utterance);
    });
  }

  function setupSurvey(form) {
    var steps = Array.prototype.slice.call(form.querySelectorAll(".step"));
    var current = 0;
    var leaving = false;  /* an answer was taken: the step gives way to the next in ADVANCE_MS */
    var pressed = null;   /* the chosen answer a finger came down on: tapping it again moves on */
    var lastPointer = 0;
    var submitting = false;
    var status = form.querySelector(".status");
    form.noValidate = true;
    form.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    undoEarlyTaps(form);

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
      leaving = false;
      steps.forEach(function (s, i) { s.classList.toggle("current", i === current); releaseTaps(s); });
      var step = steps[current];
      refreshNext(step);
      guardTaps(step);
      step.setAttribute("tabindex", "-1");
      if (focus !== false) { step.focus({ preventScroll: true }); }
      window.scrollTo(0, 0);
    }
    function advance() {
      if (leaving) { return; }
      leaving = true;
      var step = steps[current];
      holdTaps(step);
      setTimeout(function () { if (steps[current] === step) { show(current + 1); } }, ADVANCE_MS);
    }
    function startStep() {
      var withError = form.querySelector(".field-error");
      if (withError) { return steps.indexOf(withError.closest(".step")); }
      var shown = form.elements.at_step.value;
      var at = steps.findIndex(function (s) { return s.dataset.step === shown; });
      return Math.max(at, 0);
    }
    function isAnswer(input) {
      return input.type === "radio" && input.required && input.closest(".step") === steps[current];
    }

    form.addEventListener("pointerdown", function (e) {
      lastPointer = Date.now();
      var label = e.target.closest("label");
      var radio = label && label.control;
      pressed = radio && radio.checked && isAnswer(radio) ? radio : null;
    });
    form.addEventListener("change", function (e) {
      refreshNext(e.target.closest(".step"));
      if (isAnswer(e.target) && Date.now() - lastPointer < 1500) { advance(); }
    });
    form.addEventListener("click", function (e) {
      if (e.target.closest("[data-next]")) { show(current + 1); }
      if (e.target.closest("[data-back]")) { show(current - 1); }
      if (pressed && e.target === pressed) { pressed = null; advance(); }  /* the same face again, after Kembali */
    });
    /* A key is never the second half of a double tap: the keyboard need not wait for the guard. */
    document.addEventListener("keydown", function () { if (!leaving) { releaseTaps(steps[current]); } }, true);

    /* The language button posts the answers so far to be shown again in the other language, on this step;
       that is not a submission, so the submit listener below never sees it. */
    document.addEventListener("submit", function (e) {
      if (!e.submitter || !e.submitter.hasAttribute("data-lang-switch")) { return; }
      e.stopPropagation();
      clearTimeout(idleTimer);
      form.elements.at_step.value = steps[current].dataset.step;
    }, true);

    /* Idle mid-survey: "Masih mengisi?" with a countdown; no tap by its end discards the answers and counts
       where it stopped. "Batal", confirmed, does the same at once. */
    var idleMs = parseInt(form.dataset.idle, 10) * 1000;
    var idleTimer = null;
    var stillThere = document.getElementById("still-there");
    var confirmCancel = document.getElementById("confirm-cancel");
    var countdown = null;
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
      if (stillThere && stillThere.open) { return; }  /* only a tap on the overlay itself continues */
      clearTimeout(idleTimer);
      if (idleMs > 0) { idleTimer = setTimeout(askStillThere, idleMs); }
    }
    function askStillThere() {
      var left = stillThere ? parseInt(stillThere.dataset.seconds, 10) : 0;
      if (!(left > 0)) { abandon(); return; }
      var shown = stillThere.querySelector("[data-countdown]");
      shown.textContent = String(left);
      stillThere.showModal();
      countdown = setInterval(function () {
        left -= 1;
        shown.textContent = String(left);
        if (left <= 0) { clearInterval(countdown); abandon(); }
      }, 1000);
    }
    function continueSurvey() {
      clearInterval(countdown);
      stillThere.close();
      resetIdle();
      guardTaps(steps[current]);
    }
    if (stillThere) {
      stillThere.addEventListener("click", continueSurvey);
      stillThere.addEventListener("cancel", function (e) { e.preventDefault(); continueSurvey(); });
    }
    if (confirmCancel) {
      form.addEventListener("click", function (e) {
        if (!e.target.closest("[data-cancel]")) { return; }
        confirmCancel.showModal();
        confirmCancel.focus();
        guardTaps(confirmCancel);  /* the second tap of a double tap on Batal confirms nothing */
      });
      confirmCancel.querySelector("[data-confirm]").addEventListener("click", abandon);
      confirmCancel.addEventListener("close", function () { guardTaps(steps[current]); });
      confirmCancel.querySelector("[data-keep]").addEventListener("click", function () { confirmCancel.close(); });
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
      var entry = { action: form.action, csrfUrl: form.dataset.csrfUrl, submittedMs: Date.now(),
                    fields: Array.from(new FormData(form).entries()) };
      var key = form.elements.ticket.value;
      remember(key, entry);
      var verdict = await attempt(key, entry);
      if (!verdict) {
        /* The kiosk cannot be reached: the answers stay on this tablet and go in the background. */
        window.location.replace(config.offlineThanks);
        return;
      }
      if (verdict.status === "saved") {
        window.location.replace(verdict.thanks_url);
        return;
      }
      /* The server refused the answers as they are: let it show them with the reasons, kept. */
      forget(key);
      HTMLFormElement.prototype.submit.call(form);
    });

    show(startStep(), false);
    flushPending(form.elements.ticket.value);
    setupListen(form);
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
    if (form) { mintOfflineTicket(form); setupSurvey(form); } else { flushPending(null); }
    keepForOffline();
    watchOutbox();
    var done = document.querySelector("[data-return-after]");
    if (done) { setupReturn(done); }
  });
})();
