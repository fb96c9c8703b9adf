/* Pasar Desa service worker. Keeps the stylesheet, scripts, icons and an offline page ready, and the last
   pages a person read, for reading without signal (with a banner saying when each was saved). It never
   sends anything itself: requests that change something (POST) pass straight through, and only the page's
   explicit queues (offline.js) send drafts and order steps later. Logout clears it all (Clear-Site-Data),
   and a different person logging in on the same phone clears the kept pages and photos (the "user" message). */
"use strict";
var SHELL = "shell-{{ version }}", PAGES = "pages", PHOTOS = "photos", KEEP = 30, KEEP_PHOTOS = 200;
var PRECACHE = {{ precache|tojson }};
var OFFLINE = {{ offline_url|tojson }};
var BANNERS = {{ banners|tojson }};
var OWNER = "owner", NOT_KEPT = /^\/(login|register|logout|offline|api\/|dashboard\/api\/|sw\.js|manifest)/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(OWNER).then(function (cache) { return cache.addAll(PRECACHE); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return [SHELL, PAGES, PHOTOS, OWNER].indexOf(name) === -1; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function savedAt(response) {
  var time = new Intl.DateTimeFormat("id-ID", {timeZone: "Asia/Makassar", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23"}).format(new Date(Number(response.headers.get("X-Saved-At"))));
  return time.replace(":", ".");
}

/* The kept page with the offline banner at the top of its main content. */
function withBanner(response) {
  return response.text().then(function (html) {
    var english = /<html[^>]*lang="en"/.test(html);
    var text = (english ? BANNERS.en : BANNERS.id).replace("{time}", savedAt(response));
    var banner = '<p class="flash flash-info offline-banner" role="status">' + text + "</p>";
    return new Response(html.replace('<main id="main">', '<main id="main">' + banner),
      {headers: {"Content-Type": "text/html; charset=utf-8"}});
  });
}

function trim(cache, most) { /* oldest first: drop all but the last `most` */
  return cache.keys().then(function (keys) {
    return Promise.all(keys.slice(0, Math.max(0, keys.length - most)).map(function (key) { return cache.delete(key); }));
  });
}

/* A photo's address names its content, so a kept copy is always right: the kept pages show their photos. */
function photo(request) {
  return caches.open(PHOTOS).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.status === 200) {
          cache.put(request, response.clone()).then(function () { return trim(cache, KEEP_PHOTOS); });
        }
        return response;
      });
    });
  });
}

function keep(request, response) {
  var headers = new Headers(response.headers);
  headers.set("X-Saved-At", String(Date.now()));
  return response.blob().then(function (body) {
    return caches.open(PAGES).then(function (cache) {
      return cache.put(request.url, new Response(body, {status: 200, headers: headers}))
        .then(function () { return trim(cache, KEEP); });
    });
  });
}

function page(event) {
  var request = event.request;
  var url = new URL(request.url);
  return fetch(request).then(function (response) {
    var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
    if (response.status === 200 && html && !response.redirected && !NOT_KEPT.test(url.pathname)) {
      event.waitUntil(keep(request, response.clone()));
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(request.url); }).then(function (kept) {
      return kept ? withBanner(kept) : caches.match(OFFLINE);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) {
    return; /* never answered, never replayed: the browser sends it as it is */
  }
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (new URL(request.url).pathname.indexOf("/media/") === 0) {
    event.respondWith(photo(request));
  } else if (PRECACHE.indexOf(new URL(request.url).pathname) !== -1) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  }
});

/* The page says who is logged in; another person than the kept pages' means: forget them. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "user" || !data.user) { return; }
  event.waitUntil(caches.open(OWNER).then(function (cache) {
    return cache.match("/__user").then(function (hit) { return hit ? hit.text() : ""; }).then(function (owner) {
      var cleared = owner && owner !== data.user ?
        Promise.all([caches.delete(PAGES), caches.delete(PHOTOS)]) : Promise.resolve();
      return cleared.then(function () { return cache.put("/__user", new Response(data.user)); });
    });
  }));
});
