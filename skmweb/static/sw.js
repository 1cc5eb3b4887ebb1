/* The counter tablet's copy of the kiosk, for when the office PC is down (served from /sw.js, scope: the kiosk).

   - Assets: cache first. Pages under /k/ (and language switches): network first (a few seconds), the kept
     copy when it fails.
   - A survey page from the network carries a ticket for one citizen and is never kept; when the network
     fails, the kept survey page without a ticket is shown and kiosk.js mints an offline ticket.
   - The pages kept per counter are named by the welcome page (kiosk.js posts them: "keep") and fetched
     without the session: in Bahasa Indonesia, the language each citizen starts in, and with no session
     cookie set by the answer (which could undo a language chosen a moment before). A language switch
     while offline shows the kept copy of the page it returns to.
   - Only GET is ever kept: answers are POSTs and live in kiosk.js's outbox, never here.
   - The cache's name carries a version (a digest of this file and the assets, filled in by the kiosk),
     so an upgrade installs a new worker that fetches everything again and deletes the old caches. */
"use strict";
var VERSION = "__SKM_VERSION__";
var ASSETS = ["__SKM_ASSETS__"];
var PREFIX = "skm-kiosk-";
var CACHE = PREFIX + VERSION;
var NETWORK_TIMEOUT_MS = 4000;

/* The pages an older version kept, to fetch again into the new cache (we are online while installing). */
async function pagesKeptBefore() {
  var urls = [];
  for (var name of await caches.keys()) {
    if (name.indexOf(PREFIX) !== 0 || name === CACHE) { continue; }
    var old = await caches.open(name);
    (await old.keys()).forEach(function (request) {
      if (ASSETS.indexOf(new URL(request.url).pathname) < 0) { urls.push(request.url); }
    });
  }
  return urls;
}

async function keep(urls) {
  var cache = await caches.open(CACHE);
  await Promise.all(urls.map(async function (url) {
    var response = await fetch(url, { credentials: "omit", cache: "no-store" });
    if (response.ok) { await cache.put(url, response); }
  }));
}

self.addEventListener("install", function (event) {
  event.waitUntil((async function () {
    await (await caches.open(CACHE)).addAll(ASSETS);
    await keep(await pagesKeptBefore()).catch(function () { /* the welcome page keeps them again */ });
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    var names = await caches.keys();
    await Promise.all(names.filter(function (n) { return n.indexOf(PREFIX) === 0 && n !== CACHE; })
                           .map(function (n) { return caches.delete(n); }));
    await self.clients.claim();
  })());
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "keep" && Array.isArray(event.data.pages)) {
    var pages = event.data.pages.filter(function (url) { return new URL(url, self.location).origin === self.location.origin; });
    event.waitUntil(keep(pages).catch(function () { /* offline now: the copies kept before stay */ }));
  }
});

async function cacheFirst(request) {
  var cached = await caches.match(request, { cacheName: CACHE });
  if (cached) { return cached; }
  var response = await fetch(request);
  if (response.ok) { (await caches.open(CACHE)).put(request, response.clone()); }
  return response;
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (v) { clearTimeout(timer); resolve(v); }, function (e) { clearTimeout(timer); reject(e); });
  });
}

/* The kept page standing in for a URL: a survey page's stand-in is its copy without a ticket; a language
   switch's is the page it returns to. */
function keptCopyOf(url) {
  if (/\/lang\/[^/]+$/.test(url.pathname) && url.searchParams.get("next")) {
    url = new URL(url.searchParams.get("next"), url);
  }
  var survey = url.pathname.match(/^(.*\/k\/[^/]+\/survey)$/);
  return survey ? url.origin + survey[1] + "/offline" : url.origin + url.pathname;
}

async function networkFirst(request, url) {
  try {
    return await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
  } catch (e) {
    var copy = await caches.match(keptCopyOf(url), { cacheName: CACHE });
    if (copy) { return copy; }
    throw e;
  }
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (ASSETS.indexOf(url.pathname) >= 0) { event.respondWith(cacheFirst(request)); return; }
  if (request.mode === "navigate" && /\/(k|lang)\/[^/]+/.test(url.pathname)) { event.respondWith(networkFirst(request, url)); }
});
