/* Work that survives losing the signal (optional: every page works without this script).
   - Registers the service worker (/sw.js) and tells it who is logged in, so a different person on the same
     phone never reads the kept pages of the previous one; their drafts are deleted too.
   - Logout clears every cache and draft here as well (the server's Clear-Site-Data does the same).
   - The listing form saves every change on the phone (IndexedDB, photos included) and offers
     "Simpan untuk dikirim nanti"; the dashboard lists what waits and sends it, one draft at a time, each
     photo in 256 KB parts that resume from the offset the server confirmed, each draft with its
     idempotency key so a lost answer never makes a second listing.
   - On an order page without signal, accepting and shipping are queued and sent later, in order, once each.
   Words come from the page (<template id="offline-strings">), so they are translated like the rest. */
(function () {
  "use strict";
  var script = document.currentScript;
  var USER = script ? script.getAttribute("data-user") : "";
  var WORKER = script ? script.getAttribute("data-sw") : "";
  var PREFIX = "pasar-desa-";
  var MAX_TRIES = 6;
  var database = null;
  var sending = false;

  function words(name, values) {
    var holder = document.getElementById("offline-strings");
    var text = (holder && holder.getAttribute("data-" + name)) || "";
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function clock(date) {
    return new Intl.DateTimeFormat("id-ID", {timeZone: "Asia/Makassar", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23"}).format(date).replace(":", ".");
  }

  function randomKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function newId() { /* sorts by creation time: queued things go out in the order they were made */
    return ("000000000000000" + Date.now()).slice(-15) + "-" + randomKey().slice(0, 8);
  }

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function inTurn(items, fn) {
    return items.reduce(function (chain, item) { return chain.then(function () { return fn(item); }); },
      Promise.resolve());
  }

  /* ---- IndexedDB: one database per person, stores "drafts" and "actions" ---- */
  function openDb() {
    if (!database) {
      database = new Promise(function (resolve, reject) {
        var request = indexedDB.open(PREFIX + USER, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("drafts", {keyPath: "id"});
          request.result.createObjectStore("actions", {keyPath: "id"});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return database;
  }

  function store(name, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var request = fn(transaction.objectStore(name));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }
  function put(name, value) { return store(name, "readwrite", function (s) { return s.put(value); }); }
  function get(name, id) { return store(name, "readonly", function (s) { return s.get(id); }); }
  function all(name) { return store(name, "readonly", function (s) { return s.getAll(); }); }
  function remove(name, id) { return store(name, "readwrite", function (s) { return s.delete(id); }); }

  function deleteDb(name) {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  function deleteAllDbs(keep) {
    if (!indexedDB.databases) { return keep ? Promise.resolve() : deleteDb(PREFIX + USER); }
    return indexedDB.databases().then(function (list) {
      return Promise.all(list.filter(function (info) {
        return info.name && info.name.indexOf(PREFIX) === 0 && info.name !== keep;
      }).map(function (info) { return deleteDb(info.name); }));
    });
  }

  /* ---- service worker, people, logout ---- */
  function startWorker() {
    if (!("serviceWorker" in navigator) || !WORKER) { return; }
    navigator.serviceWorker.register(WORKER, {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (USER && registration.active) { registration.active.postMessage({type: "user", user: USER}); }
    }).catch(function () { /* no worker: the pages work as they always did */ });
  }

  function clearEverything() {
    var jobs = [];
    if (database) { jobs.push(database.then(function (db) { db.close(); })); database = null; }
    jobs.push(deleteAllDbs(null));
    if (window.caches) {
      jobs.push(caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return caches.delete(name); }));
      }));
    }
    return Promise.all(jobs);
  }

  function guardLogout() {
    each(document.querySelectorAll("form[action$='/logout']"), function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var done = function () { form.submit(); };
        clearEverything().then(done, done);
      });
    });
  }

  /* ---- talking to the server ---- */
  function problem(kind, message, data) { return {kind: kind, message: message || "", data: data || {}}; }

  function api(method, url, body, token, type) {
    var headers = {"Accept": "application/json"};
    if (token) { headers["X-CSRFToken"] = token; }
    if (type) { headers["Content-Type"] = type; }
    return fetch(url, {method: method, body: body, headers: headers, credentials: "same-origin",
      cache: "no-store"}).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok || (response.status === 409 && "offset" in data)) { return data; }
        if (response.status === 401) { throw problem("login", data.error); }
        data.status = response.status;
        throw problem(response.status === 400 ? "csrf" : "refused", data.error, data);
      });
    }, function () { throw problem("network"); });
  }

  /* fn() again after a dropped connection, a little later each time. */
  function retry(fn, tries) {
    tries = tries || 0;
    return fn().catch(function (error) {
      if (error.kind !== "network" || tries + 1 >= MAX_TRIES) { throw error; }
      return new Promise(function (resolve) { setTimeout(resolve, Math.min(250 * Math.pow(2, tries), 4000)); })
        .then(function () { return retry(fn, tries + 1); });
    });
  }

  function freshToken() {
    return retry(function () { return api("GET", "/api/csrf-token"); }).then(function (data) {
      return data.csrf_token;
    });
  }

  /* ---- sending what waits ---- */
  function sendPhoto(draft, index, token, again) {
    var photo = draft.photos[index];
    if (photo.done) { return Promise.resolve(); }
    if (!photo.token) { photo.token = randomKey(); }
    function step(status) {
      showProgress(draft.id, index, status.offset, photo.blob.size);
      if (status.done) {
        photo.done = true;
        return put("drafts", draft);
      }
      var part = photo.blob.slice(status.offset, status.offset + status.part_bytes);
      return retry(function () {
        return api("PUT", "/api/uploads/" + photo.token + "/parts/" + status.offset, part, token,
          "application/octet-stream");
      }).then(step);
    }
    return put("drafts", draft).then(function () {
      return retry(function () {
        return api("POST", "/api/uploads/" + photo.token, JSON.stringify({size: photo.blob.size}), token,
          "application/json");
      });
    }).then(step).catch(function (error) {
      if (error.kind === "refused" && error.data.status === 404 && !again) {
        photo.token = null; /* discarded on the server after a day: send it again from the start */
        return sendPhoto(draft, index, token, true);
      }
      throw error;
    });
  }

  function sendDraft(draft, token) {
    showState(draft.id, words("sending"));
    var indexes = draft.photos.map(function (photo, index) { return index; });
    return inTurn(indexes, function (index) { return sendPhoto(draft, index, token); }).then(function () {
      var body = new FormData();
      Object.keys(draft.fields).forEach(function (name) { body.append(name, draft.fields[name]); });
      body.set("csrf_token", token);
      body.set("idempotency_key", draft.key);
      body.set("version", draft.version || "");
      draft.photos.forEach(function (photo) { body.append("upload", photo.token); });
      var url = "/dashboard/api/listings" + (draft.target === "new" ? "" : "/" + draft.target);
      return retry(function () { return api("POST", url, body, token); });
    }).then(function () {
      return remove("drafts", draft.id);
    }).catch(function (error) {
      if (error.kind !== "refused") { throw error; }
      draft.refused = error.message;
      draft.conflict = error.data.conflict ? error.data.server : null;
      return put("drafts", draft);
    });
  }

  function sendAction(action, token) {
    var body = new FormData();
    body.set("csrf_token", token);
    body.set("idempotency_key", action.key);
    Object.keys(action.fields).forEach(function (name) { body.set(name, action.fields[name]); });
    return retry(function () {
      return api("POST", "/dashboard/api/orders/" + action.order + "/" + action.action, body, token);
    }).then(function () {
      return remove("actions", action.id);
    }).catch(function (error) {
      if (error.kind !== "refused") { throw error; }
      action.refused = error.message;
      return put("actions", action);
    });
  }

  function waiting() {
    return Promise.all([all("drafts"), all("actions")]).then(function (found) {
      return {
        drafts: found[0].filter(function (d) { return d.queued && !d.refused; }),
        actions: found[1].filter(function (a) { return !a.refused; })
      };
    });
  }

  function sendAll(again) {
    if (sending || !USER || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    return waiting().then(function (queue) {
      if (!queue.drafts.length && !queue.actions.length) { return null; }
      report(words("sending"));
      return freshToken().then(function (token) {
        return inTurn(queue.drafts, function (draft) { return sendDraft(draft, token); }).then(function () {
          return inTurn(queue.actions, function (action) { return sendAction(action, token); });
        });
      }).then(function () { report(""); });
    }).catch(function (error) {
      if (error.kind === "login") {
        report(words("login"), words("login-link"), words("login-label"));
      } else if (error.kind === "csrf" && !again) {
        sending = false;
        return sendAll(true);
      } else {
        report(words("waiting"));
      }
    }).then(function () {
      sending = false;
      return render();
    });
  }

  /* ---- what the pages show ---- */
  function report(text, link, label) {
    each(document.querySelectorAll("[data-queue-status], [data-order-status]"), function (status) {
      status.textContent = text;
      if (link) {
        var anchor = document.createElement("a");
        anchor.href = link;
        anchor.textContent = label;
        status.appendChild(document.createTextNode(" "));
        status.appendChild(anchor);
      }
    });
  }

  function showProgress(draftId, index, offset, size) {
    var bar = document.querySelector("[data-draft='" + draftId + "'] progress[data-photo='" + index + "']");
    if (bar) { bar.max = size; bar.value = offset; }
  }

  function showState(draftId, text) {
    var state = document.querySelector("[data-draft='" + draftId + "'] [data-state]");
    if (state) { state.textContent = text; }
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function button(label, css, onClick) {
    var node = element("button", {type: "button", "class": css}, label);
    node.addEventListener("click", onClick);
    return node;
  }

  function conflictTable(draft) {
    var table = element("table", {"class": "conflict"});
    Object.keys(draft.conflict).forEach(function (name) {
      if (!(name in draft.fields) || String(draft.conflict[name]) === String(draft.fields[name])) { return; }
      var row = element("tr");
      row.appendChild(element("th", {}, name));
      row.appendChild(element("td", {"data-mine": name}, String(draft.fields[name])));
      row.appendChild(element("td", {"data-server": name}, String(draft.conflict[name])));
      table.appendChild(row);
    });
    return table;
  }

  function draftItem(draft) {
    var item = element("li", {"class": "panel listing", "data-draft": draft.id});
    item.appendChild(element("h3", {}, draft.fields.title || words("untitled")));
    var photos = element("p", {"class": "draft-photos"});
    draft.photos.forEach(function (photo, index) {
      var figure = element("span", {"class": "draft-photo"});
      var image = element("img", {alt: words("photo", {n: index + 1}), width: "80", height: "80"});
      image.src = URL.createObjectURL(photo.blob);
      figure.appendChild(image);
      var bar = element("progress", {"data-photo": String(index), max: String(photo.blob.size)});
      bar.value = photo.done ? photo.blob.size : 0;
      figure.appendChild(bar);
      photos.appendChild(figure);
    });
    item.appendChild(photos);
    var state = draft.refused ? words("refused", {error: draft.refused}) : words("waiting");
    item.appendChild(element("p", {"data-state": ""}, state));
    if (draft.conflict) {
      item.appendChild(conflictTable(draft));
      item.appendChild(button(words("mine"), "", function () {
        draft.version = draft.conflict.version;
        draft.conflict = null;
        draft.refused = "";
        put("drafts", draft).then(function () { return sendAll(); });
      }));
    }
    item.appendChild(button(draft.conflict ? words("server") : words("remove"), "secondary", function () {
      remove("drafts", draft.id).then(render);
    }));
    return item;
  }

  function actionText(action) {
    if (action.action === "accept") { return words("accept", {code: action.code}); }
    return words("ship", {code: action.code, courier: action.fields.courier_other || action.fields.courier,
      resi: action.fields.tracking_number});
  }

  function actionItem(action) {
    var item = element("li", {"class": "panel", "data-action": action.id});
    item.appendChild(element("p", {}, actionText(action)));
    item.appendChild(element("p", {"data-state": ""},
      action.refused ? words("refused", {error: action.refused}) : words("waiting")));
    if (action.refused) {
      item.appendChild(button(words("remove"), "secondary", function () { remove("actions", action.id).then(render); }));
    }
    return item;
  }

  function render() {
    var panel = document.querySelector("[data-offline-queue]");
    var order = document.querySelector("[data-offline-order]");
    if (!panel && !order) { return Promise.resolve(); }
    return Promise.all([all("drafts"), all("actions")]).then(function (found) {
      var drafts = found[0].filter(function (d) { return d.queued; });
      var actions = found[1].filter(function (a) { return !order || a.order === order.getAttribute("data-offline-order"); });
      var box = panel || order;
      var list = panel ? panel.querySelector("[data-queue-list]") : order.querySelector("[data-order-list]");
      if (!list) {
        list = element("ul", {"data-order-list": ""});
        order.appendChild(list);
      }
      list.textContent = "";
      if (panel) { drafts.forEach(function (draft) { list.appendChild(draftItem(draft)); }); }
      actions.forEach(function (action) { list.appendChild(actionItem(action)); });
      box.hidden = !list.children.length && !(box.querySelector("[data-queue-status], [data-order-status]") || {}).textContent;
    });
  }

  /* ---- the listing form ---- */
  function whenShrunk(input) {
    return new Promise(function (resolve) {
      (function check() {
        if (input.getAttribute("data-shrink-state") === "busy") { setTimeout(check, 100); } else { resolve(); }
      }());
    });
  }

  function listingForm() {
    var box = document.querySelector("[data-offline-draft]");
    if (!box) { return; }
    var form = box.closest("form");
    var target = box.getAttribute("data-offline-draft");
    var version = box.getAttribute("data-version") || "";
    var workId = "work-" + target;
    var status = box.querySelector("[data-draft-status]");
    var input = form.querySelector("input[type=file][name=photo]");
    var photos = [];
    var timer = null;
    box.hidden = false;

    function values() {
      var found = {};
      each(form.elements, function (field) {
        if (field.name && field.name !== "csrf_token" && field.type !== "file" && field.type !== "submit" &&
            field.type !== "button") {
          found[field.name] = field.value;
        }
      });
      return found;
    }

    function save() {
      return put("drafts", {id: workId, target: target, version: version, fields: values(), photos: photos,
        updated: Date.now()}).then(function () { status.textContent = words("autosaved", {time: clock(new Date())}); });
    }

    function showPhotos() {
      if (!input || typeof DataTransfer !== "function") { return; }
      var transfer = new DataTransfer();
      photos.forEach(function (photo) { transfer.items.add(new File([photo.blob], photo.name, {type: photo.type})); });
      input.files = transfer.files;
    }

    function restore(draft) {
      Object.keys(draft.fields).forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field && field.type !== "file" && name !== "stock_seen") { field.value = draft.fields[name]; }
      });
      photos = draft.photos || [];
      showPhotos();
    }

    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 300); });
    form.addEventListener("change", function (event) {
      if (event.target !== input) { save(); return; }
      whenShrunk(input).then(function () {
        photos = Array.prototype.map.call(input.files, function (file) {
          return {name: file.name, type: file.type, blob: file};
        });
        return save();
      });
    });
    form.addEventListener("submit", function (event) {
      if (!navigator.onLine) { /* no signal: the form would be lost on the way; keep it for later */
        event.preventDefault();
        status.textContent = words("waiting");
        return;
      }
      get("drafts", workId).then(function (draft) { if (draft) { draft.submitted = true; put("drafts", draft); } });
    });
    box.querySelector("[data-save-later]").addEventListener("click", function () {
      clearTimeout(timer); /* the typing's pending save must not bring the sent-off draft back */
      var draft = {id: newId(), key: randomKey(), target: target, version: version, fields: values(),
        photos: photos, queued: true};
      put("drafts", draft).then(function () { return remove("drafts", workId); }).then(function () {
        form.reset();
        photos = [];
        showPhotos();
        status.textContent = words("queued");
        return sendAll();
      });
    });
    get("drafts", workId).then(function (draft) {
      if (!draft) { return; }
      if (draft.submitted && document.querySelector(".has-error, .flash-error") === null) {
        return remove("drafts", workId);
      }
      draft.submitted = false;
      if (target === "new" || draft.version === version) {
        restore(draft);
        return put("drafts", draft);
      }
      /* The listing changed on the server since this draft: queue it, so the dashboard shows both. */
      draft.id = newId();
      draft.key = randomKey();
      draft.queued = true;
      return put("drafts", draft).then(function () { return remove("drafts", workId); });
    });
  }

  /* ---- order steps without signal ---- */
  function orderPage() {
    var box = document.querySelector("[data-offline-order]");
    if (!box) { return; }
    var id = box.getAttribute("data-offline-order");
    var shipLater = box.querySelector("[data-queued-ship]");

    function queue(action, fields) {
      return put("actions", {id: newId(), key: randomKey(), order: id, code: box.getAttribute("data-code"),
        action: action, fields: fields}).then(function () {
        report(words("action-queued"));
        return render();
      });
    }

    function shipFields(form) {
      var other = form.elements.courier_other;
      return {courier: form.elements.courier.value, courier_other: other ? other.value : "",
        tracking_number: form.elements.tracking_number.value};
    }

    each(document.querySelectorAll("form[action$='/" + id + "/accept'], form[action$='/" + id + "/ship']"),
      function (form) {
        form.addEventListener("submit", function (event) {
          if (navigator.onLine) { return; }
          event.preventDefault();
          var accept = /\/accept$/.test(form.getAttribute("action"));
          queue(accept ? "accept" : "ship", accept ? {} : shipFields(form)).then(function () {
            form.hidden = true;
            if (accept && shipLater) { shipLater.hidden = false; }
          });
        });
      });
    if (shipLater) {
      shipLater.addEventListener("submit", function (event) {
        event.preventDefault();
        queue("ship", shipFields(shipLater)).then(function () { shipLater.hidden = true; });
      });
    }
  }

  /* ---- start ---- */
  startWorker();
  guardLogout();
  if (!USER || !window.indexedDB) { return; }
  var ready = indexedDB.databases ? deleteAllDbs(PREFIX + USER) : Promise.resolve();
  ready.then(function () {
    listingForm();
    orderPage();
    return render();
  }).then(function () { return sendAll(); });
  window.addEventListener("online", function () { sendAll(); });
}());
