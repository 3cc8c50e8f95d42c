/* StepFree's service worker, rendered by app/blueprints/pwa.py.
 * - The app shell (the map page, its styles and scripts at their hashed URLs) is kept at install, so the map
 *   opens without a connection.
 * - Pages: network first. Only the public pages volunteers use offline (the map, /check) are kept; any other
 *   page offline gets the map page. Signing in or out drops the kept pages and place reads, so a shared phone
 *   never shows one person's pages to the next.
 * - GET /api/places and /api/places/<id>: stale-while-revalidate, so the areas last viewed open offline.
 * - Writes are never cached; a successful one drops the cached place reads, which it has made stale.
 * - One cache per build: a new build's worker takes over at once and deletes the caches of older builds. */
"use strict";

var BUILD = {{ build|tojson }};
var SHELL = {{ shell|tojson }};
var PREFIX = "stepfree-";
var CACHE = PREFIX + BUILD;
var PLACE_READ = /^\/api\/places(\/\d+)?$/;
var OFFLINE_PAGES = ["/", "/check"];
// Signing in or out, and choosing another language, change what the kept pages should show.
var ACCOUNT_CHANGES = ["/account/login", "/account/logout", "/language"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // The page is asked of the server (`cache: "reload"`), the hashed files may come from the browser's HTTP cache:
    // a hashed URL always names the same bytes, and the page that registered the worker has just loaded most.
    return cache.addAll(SHELL.map(function (url) {
      return url.indexOf("?v=") === -1 ? new Request(url, {cache: "reload"}) : url;
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf(PREFIX) === 0 && name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// Only whole answers of this site are kept: never an error, a redirect, another site's opaque answer, or one
// the server marked no-store.
function store(request, response) {
  var noStore = /no-store/.test(response.headers.get("Cache-Control") || "");
  if (!response.ok || response.type !== "basic" || noStore) { return Promise.resolve(); }
  return caches.open(CACHE).then(function (cache) {
    return cache.put(request, response).then(function () { return trim(cache); });
  });
}

// Places of the areas last viewed, not of every area ever viewed: the oldest reads go beyond MAX_READS.
var MAX_READS = 200;
function trim(cache) {
  return cache.keys().then(function (requests) {
    var reads = requests.filter(function (r) { return PLACE_READ.test(new URL(r.url).pathname); });
    return Promise.all(reads.slice(0, Math.max(0, reads.length - MAX_READS)).map(function (r) { return cache.delete(r); }));
  });
}

function keep(request, response) {
  store(request, response.clone());
  return response;
}

function networkFirst(request) {
  var offlinePage = OFFLINE_PAGES.indexOf(new URL(request.url).pathname) !== -1;
  return fetch(request).then(function (response) {
    return offlinePage ? keep(request, response) : response;
  }, function (error) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) { return hit || cache.match("/"); });
    }).then(function (hit) { if (hit) { return hit; } throw error; });
  });
}

function cacheFirst(request) {
  return caches.match(request).then(function (hit) {
    return hit || fetch(request).then(function (response) { return keep(request, response); });
  });
}

function staleWhileRevalidate(event) {
  var request = event.request;
  var fresh = fetch(request).then(function (response) { return keep(request, response); });
  event.waitUntil(fresh.catch(function () { return null; }));
  return caches.match(request).then(function (hit) {
    return hit || fresh.catch(function (error) {
      return covering(request).then(function (near) { if (near) { return near; } throw error; });
    });
  });
}

function bboxOf(url) {
  var box = (url.searchParams.get("bbox") || "").split(",").map(Number);
  return box.length === 4 && box.every(isFinite) ? box : null;
}

// Offline, a view seldom asks for exactly the box it asked for before (a pan of a few pixels changes it): answer
// the latest kept list, with the same filters, whose box holds the middle of the one asked for.
function covering(request) {
  var wanted = new URL(request.url), box = bboxOf(wanted);
  if (!box || wanted.pathname !== "/api/places") { return Promise.resolve(null); }
  var x = (box[0] + box[2]) / 2, y = (box[1] + box[3]) / 2;
  wanted.searchParams.delete("bbox");
  var filters = wanted.searchParams.toString();
  return caches.open(CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      var found = requests.filter(function (r) {
        var url = new URL(r.url), b = bboxOf(url);
        if (url.pathname !== "/api/places" || !b) { return false; }
        url.searchParams.delete("bbox");
        return url.searchParams.toString() === filters && b[0] <= x && x <= b[2] && b[1] <= y && y <= b[3];
      }).pop();
      return found ? cache.match(found) : null;
    });
  });
}

function dropKept(test) {
  return caches.open(CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (r) { return test(new URL(r.url).pathname); })
        .map(function (r) { return cache.delete(r); }));
    });
  });
}

function dropPlaceReads() {
  return dropKept(function (path) { return PLACE_READ.test(path); });
}

// Everything that may carry a person's view (pages, place reads with their own pending answers); the hashed
// static files and the scripts' words stay.
function dropPersonal() {
  return dropKept(function (path) { return path.indexOf("/static/") !== 0 && path.indexOf("/i18n/") !== 0; });
}

// The page asks to keep place reads it made before this worker controlled it (static/js/pwa.js).
self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.keep) || [];
  event.waitUntil(Promise.all(urls.map(function (url) {
    var parsed = new URL(url, self.location.origin);
    if (parsed.origin !== self.location.origin || !PLACE_READ.test(parsed.pathname)) { return null; }
    var request = new Request(parsed.href, {headers: {"Accept": "application/geo+json"}});
    return fetch(request).then(function (response) { return store(request, response); }, function () { return null; });
  })));
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    if (ACCOUNT_CHANGES.indexOf(url.pathname) !== -1) {
      event.waitUntil(dropPersonal());  // the browser sends the form itself
    } else if (url.pathname.indexOf("/api/") === 0) {
      event.respondWith(fetch(request).then(function (response) {
        return response.ok ? dropPlaceReads().then(function () { return response; }) : response;
      }));
    }
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else if (PLACE_READ.test(url.pathname)) {
    event.respondWith(staleWhileRevalidate(event));
  } else if ((url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/i18n/") === 0) && url.searchParams.has("v")) {
    // A hashed URL always names the same bytes: the cached copy is never stale.
    event.respondWith(cacheFirst(request));
  }
});
