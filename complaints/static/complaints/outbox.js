/* Complaints filed without a connection, kept in this browser until they are sent.
   Loaded by the pages (before app.js) and by the service worker (importScripts), so both can
   send them: the page when it opens or when the connection returns, the worker on Background Sync.

   One IndexedDB store, one entry per complaint, keyed by its Idempotency-Key (the server files
   a key at most once, so a retry after a lost answer never makes a second complaint):
     waiting  - fields, files (Blobs), the CSRF token; sent when the connection allows
     refused  - the same, with the server's errors: kept for the filer to correct
     sent     - only the receipt (code, secret) until the filer has noted it; the fields, who
                the filer is and the files are gone from the device.
   "Forget this device" deletes the database. */
(function (root) {
  "use strict";

  var DB_NAME = "complaint-outbox";
  var STORE = "queue";
  var SYNC_TAG = "send-complaints";
  var CHANNEL = "complaint-outbox";
  var LOCK = "complaint-outbox-send";

  function withStore(mode, use) {
    return new Promise(function (resolve, reject) {
      if (!root.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var open = root.indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = function () { open.result.createObjectStore(STORE, { keyPath: "id" }); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var db = open.result;  // closed after each use: "forget this device" must be able to delete it
        var tx = db.transaction(STORE, mode);
        var request = use(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }

  function all() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (entries) {
      return (entries || []).sort(function (a, b) { return a.createdAt - b.createdAt; });
    });
  }
  function put(entry) { return withStore("readwrite", function (store) { store.put(entry); }).then(changed); }
  function remove(id) { return withStore("readwrite", function (store) { store.delete(id); }).then(changed); }
  function counts() {
    return all().then(function (entries) {
      var c = { waiting: 0, refused: 0, sent: 0 };
      entries.forEach(function (e) { c[e.status] = (c[e.status] || 0) + 1; });
      return c;
    });
  }

  function changed() {
    try { new BroadcastChannel(CHANNEL).postMessage("changed"); } catch (e) { /* one page only */ }
  }
  function onChange(fn) {
    try { new BroadcastChannel(CHANNEL).onmessage = fn; } catch (e) { /* no BroadcastChannel */ }
  }

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /* An entry from a filled form: fields as [name, value] pairs, files as Blobs with their names. */
  function entryFrom(key, action, fields, files, csrf) {
    return { id: key, status: "waiting", createdAt: Date.now(), action: action, fields: fields,
             files: files.map(function (f) { return { name: f.name, type: f.type, blob: f }; }),
             csrf: csrf, attempts: 0 };
  }

  function body(entry) {
    var data = new FormData();
    entry.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    entry.files.forEach(function (f) { data.append("files", f.blob, f.name); });
    return data;
  }

  /* Send one entry; resolves to its new status ("sent", "refused" or "waiting"). */
  function send(entry, options) {
    var headers = { "Accept": "application/json", "Idempotency-Key": entry.id, "X-CSRFToken": options.csrf || entry.csrf };
    return fetch(entry.action, { method: "POST", body: body(entry), headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (answer) {
          if (response.ok && answer && answer.ok) {
            var receipt = answer.receipt || {};
            // Nothing but the receipt stays: not the text, not who the filer is, not the files.
            return put({ id: entry.id, status: "sent", createdAt: entry.createdAt, sentAt: Date.now(),
                         receipt: { code: receipt.code || "", secret: receipt.secret || "", replayed: Boolean(answer.replayed) } })
              .then(function () { return "sent"; });
          }
          var later = response.status >= 500 || response.status === 408 || response.status === 429 ||
            (response.status === 403 && options.fromWorker);  // a stale token: the page sends it with a fresh one
          if (later || response.status < 400) { return retryLater(entry); }
          entry.status = "refused";
          entry.errors = answer && answer.errors ? answer.errors : { __all__: [{ message: "HTTP " + response.status }] };
          return put(entry).then(function () { return "refused"; });
        });
      }, function () { return retryLater(entry); });
  }
  function retryLater(entry) {
    entry.attempts = (entry.attempts || 0) + 1;
    return put(entry).then(function () { return "waiting"; });
  }

  function sendWaiting(options) {
    return all().then(function (entries) {
      var result = { sent: 0, refused: 0, waiting: 0 };
      return entries.filter(function (e) { return e.status === "waiting"; }).reduce(function (chain, entry) {
        return chain.then(function () { return send(entry, options).then(function (status) { result[status] += 1; }); });
      }, Promise.resolve()).then(function () { return result; });
    });
  }

  /* Send every waiting entry, one at a time; the page and the worker never send at once. */
  function sendAll(options) {
    var run = function () { return sendWaiting(options || {}); };
    var locks = root.navigator && root.navigator.locks;
    return locks ? locks.request(LOCK, run) : run();
  }

  function askForSync() {
    var sw = root.navigator && root.navigator.serviceWorker;
    if (!sw) { return Promise.resolve(false); }
    return sw.ready.then(function (registration) {
      if (!registration.sync) { return false; }
      return registration.sync.register(SYNC_TAG).then(function () { return true; });
    }).catch(function () { return false; });
  }

  function deleteAll() {
    return new Promise(function (resolve) {
      if (!root.indexedDB) { resolve(); return; }
      var request = root.indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  root.RegistryOutbox = {
    SYNC_TAG: SYNC_TAG, all: all, put: put, remove: remove, counts: counts, onChange: onChange,
    newKey: newKey, entryFrom: entryFrom, sendAll: sendAll, askForSync: askForSync, deleteAll: deleteAll
  };
})(self);
