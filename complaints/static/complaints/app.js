/* Progressive enhancement for the registry's pages. Every page works without this file.
   No inline handlers: behaviour hangs off data- attributes (the CSP forbids inline script). */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function debounce(fn, ms) {
    var t;
    return function () { var args = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, args); }, ms); };
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function formatSize(bytes) {
    if (bytes < 1024) { return bytes + " B"; }
    if (bytes < 1048576) { return (bytes / 1024).toFixed(0) + " KB"; }
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  /* Copy buttons: <button data-copy="element-id"> */
  function initCopy() {
    $all("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      var original = button.textContent;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy"));
        if (!target) { return; }
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-msg-copied") || original;
          setTimeout(function () { button.textContent = original; }, 2500);
        }, function () { /* copying refused: the text stays selectable */ });
      });
    });
  }

  /* Print buttons: <button data-print hidden> (hidden without script; print.css drops them on paper). */
  function initPrint() {
    $all("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  /* "Select all" checkbox for the queue's bulk assignment. */
  function initCheckAll() {
    $all("[data-check-all]").forEach(function (box) {
      box.hidden = false;
      var name = box.getAttribute("data-check-all");
      box.addEventListener("change", function () {
        $all('input[type="checkbox"][name="' + name + '"]').forEach(function (cb) { cb.checked = box.checked; });
      });
    });
  }

  /* Buttons that put a value into a field: data-fill="field-id" data-value="..." */
  function initFill() {
    $all("[data-fill]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-fill"));
        if (field) { field.value = button.getAttribute("data-value"); field.focus(); }
      });
    });
  }

  function initFocus() {
    var target = $("[data-focus-on-load]");
    if (target) { target.focus(); }
  }

  /* ---- The filing form -------------------------------------------------- */

  function initFiling(form) {
    var state = { files: [] };
    var draft = initDraft(form);
    initStationSearch(form);
    initCategoryPicker(form);
    initIdentityToggle(form);
    initFilePicker(form, state);
    state.outbox = initOutbox(form, state);
    if (form.hasAttribute("data-offline-copy")) { useOfflineCopy(form); }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitFiling(form, state, draft);
    });
  }

  /* The page came from the service worker's copy (made earlier, maybe before a sign-in): its
     time is when it was copied, and its forms' CSRF tokens may be old ones. Each form takes
     the browser's current token (the cookie) when it is sent. */
  function useOfflineCopy(form) {
    var field = form.querySelector('input[name="occurred_at"]');
    if (field && field.type === "datetime-local" && !$("[data-draft-notice]:not([hidden])")) {
      var d = new Date();
      d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
      field.value = d.toISOString().slice(0, 16);
    }
    function freshTokens() {
      var token = csrfToken();
      $all('input[name="csrfmiddlewaretoken"]').forEach(function (input) { input.value = token; });
    }
    freshTokens();
    $all("form").forEach(function (f) { f.addEventListener("submit", freshTokens, true); });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = $('form:not([data-offline-copy]) input[name="csrfmiddlewaretoken"]') || $('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  /* Put saved values ({name: value}) back into the form's fields (not files, not the token). */
  function fillForm(form, values, skip) {
    $all("input, select, textarea", form).forEach(function (field) {
      if (!field.name || field.type === "file" || field.name === "csrfmiddlewaretoken") { return; }
      if ((skip && skip(field)) || !(field.name in values)) { return; }
      var value = values[field.name];
      if (field.type === "radio" || field.type === "checkbox") { field.checked = field.value === value; }
      else { field.value = value; }
    });
    form.dispatchEvent(new Event("draft-restored"));
  }

  /* ---- Complaints waiting to be sent (outbox.js) -------------------------
     Filed without a connection, a complaint waits in this browser; it is sent by itself when the
     connection returns (Background Sync in the service worker, else the "online" event, else
     the next visit). The panel above the form lists what waits, what the server refused (with
     its message, and the data kept to correct it) and the receipts of those sent. */
  function initOutbox(form, state) {
    var box = window.RegistryOutbox;
    var panel = $("[data-outbox]");
    if (!box || !panel) { return null; }
    var list = $("[data-outbox-list]", panel);
    var status = $("[data-outbox-status]", panel);
    var hint = status.textContent;
    function msg(name) { return panel.getAttribute("data-msg-" + name) || ""; }

    function item(entry) {
      var li = el("li", { "data-outbox-entry": entry.status });
      var when = new Date(entry.createdAt).toLocaleString(document.documentElement.lang || undefined);
      if (entry.status === "sent") {
        li.appendChild(el("span", {}, msg("sent") + " "));
        li.appendChild(el("strong", { "data-outbox-code": "" }, entry.receipt.code));
        if (entry.receipt.secret) {
          li.appendChild(el("span", {}, " " + msg("secret") + " "));
          li.appendChild(el("strong", { "data-outbox-secret": "" }, entry.receipt.secret));
        } else if (entry.receipt.replayed) {  // the first answer was lost on the way: only its code is known
          li.appendChild(el("span", {}, " " + msg("no-secret")));
        }
        var noted = el("button", { type: "button", "class": "linkish" }, msg("noted"));
        noted.addEventListener("click", function () { box.remove(entry.id).then(render); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(noted);
        return li;
      }
      var files = entry.files.length ? " (" + msg("files") + " " + entry.files.length + ")" : "";
      li.appendChild(el("span", {}, when + files + ": "));
      if (entry.status === "waiting") { li.appendChild(el("span", {}, msg("waiting"))); return li; }
      li.appendChild(el("span", {}, msg("refused") + " " + errorText(form, entry.errors)));
      var correct = el("button", { type: "button", "class": "linkish" }, msg("correct"));
      correct.addEventListener("click", function () { correctEntry(form, state, entry); });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(correct);
      return li;
    }
    var retry = null;
    function render() {
      return box.all().then(function (entries) {
        list.textContent = "";
        entries.forEach(function (entry) { list.appendChild(item(entry)); });
        var waiting = entries.filter(function (e) { return e.status === "waiting"; }).length;
        $("[data-outbox-count]", panel).textContent = String(waiting);
        $("h2", panel).hidden = !waiting;
        status.hidden = !waiting;
        status.textContent = navigator.onLine ? hint : form.getAttribute("data-msg-queued");
        panel.hidden = !entries.length;
        // A connection can come back without an "online" event (a captive or flaky network).
        if (waiting && !retry) { retry = setInterval(sendNow, 30000); }
        if (!waiting && retry) { clearInterval(retry); retry = null; }
      }, function () { panel.hidden = true; });
    }
    function sendNow() {
      if (!navigator.onLine) { return Promise.resolve(); }
      return box.sendAll({ csrf: csrfToken() }).then(render, render);
    }
    box.onChange(render);
    window.addEventListener("online", sendNow);
    registerWorker(form);
    render().then(sendNow);
    return {
      queue: function (entry) {
        return box.put(entry).then(function () {
          box.askForSync();
          return render();
        });
      },
      remove: function (id) { return box.remove(id).then(render); },
      render: render
    };
  }

  /* The label of a form field, as the error summary shows it ("" if the field has none). */
  function fieldLabel(form, name) {
    var field = name !== "__all__" && form.querySelector('[name="' + name + '"]');
    var container = field && (field.closest(".field") || field.closest("fieldset"));
    var labelEl = container && container.querySelector("legend, label");
    return labelEl ? labelEl.childNodes[0].textContent.trim() : "";
  }

  function errorText(form, errors) {
    var out = [];
    Object.keys(errors || {}).forEach(function (name) {
      var label = fieldLabel(form, name);
      (errors[name] || []).forEach(function (err) {
        var message = err.message || String(err);
        out.push(label ? label + ": " + message : message);
      });
    });
    return out.join(" ");
  }

  /* A refused complaint back into the form, files included, with the server's messages. It stays
     in the outbox until the corrected one is sent or queued. */
  function correctEntry(form, state, entry) {
    var values = {};
    entry.fields.forEach(function (pair) { values[pair[0]] = pair[1]; });
    form.reset();
    fillForm(form, values);
    state.files = entry.files.map(function (f) {
      return { file: new File([f.blob], f.name, { type: f.type }), error: "" };
    });
    state.replaces = entry.id;
    clearJsErrors(form);
    showErrors(form, state, entry.errors || {});
  }

  function registerWorker(form) {
    var url = form.getAttribute("data-service-worker");
    if (!url || !navigator.serviceWorker) { return; }
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () { /* no offline copy: the page still works online */ });
  }

  /* ---- What this browser keeps ------------------------------------------
     The filing draft is the only thing the app stores in the browser; its keys start with
     DRAFT_PREFIX. "Forget this device" clears everything the site stored. */

  var DRAFT_PREFIX = "complaint-draft";
  // Who the filer is never goes into a draft: on a shared phone the next person would see it.
  var IDENTITY_FIELDS = ["identity", "full_name", "name", "email", "phone", "contact"];

  function clearDrafts() {
    try {
      var store = window.localStorage;
      for (var i = store.length - 1; i >= 0; i--) {
        var k = store.key(i);
        if (k && k.indexOf(DRAFT_PREFIX) === 0) { store.removeItem(k); }
      }
    } catch (e) { /* storage disabled: nothing was kept */ }
  }

  /* Also the complaints waiting to be sent, the service worker and its cached filing page. */
  function forgetDevice() {
    var done = [];
    if (window.RegistryOutbox) { done.push(window.RegistryOutbox.deleteAll()); }
    if (window.caches) {
      done.push(caches.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) { return caches.delete(k); }));
      }).catch(function () {}));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      done.push(navigator.serviceWorker.getRegistrations().then(function (regs) {
        return Promise.all(regs.map(function (r) { return r.unregister(); }));
      }).catch(function () {}));
    }
    try { window.localStorage.clear(); } catch (e) { /* storage disabled */ }
    try { window.sessionStorage.clear(); } catch (e) { /* storage disabled */ }
    try {
      if (window.indexedDB && indexedDB.databases) {
        indexedDB.databases().then(function (dbs) {
          dbs.forEach(function (db) { if (db.name) { indexedDB.deleteDatabase(db.name); } });
        }, function () {});
      }
    } catch (e) { /* no IndexedDB */ }
    return Promise.all(done);
  }

  /* With complaints not yet sent, the first press only warns; the second forgets. The page's
     storage is cleared before the form goes (Clear-Site-Data does it again where supported). */
  function confirmForget(form, event) {
    if (form.hasAttribute("data-forget-go")) { return; }
    event.preventDefault();
    var unsent = window.RegistryOutbox ? window.RegistryOutbox.counts() : Promise.resolve({});
    unsent.catch(function () { return {}; }).then(function (c) {
      var n = (c.waiting || 0) + (c.refused || 0);
      var warning = $("[data-forget-warning]", form);
      if (n && warning && warning.hidden) {
        warning.textContent = form.getAttribute("data-msg-unsent").replace("{n}", String(n));
        warning.hidden = false;
        return;
      }
      form.setAttribute("data-forget-go", "");
      forgetDevice().then(function () { form.submit(); });
    });
  }

  function initForget() {
    if ($("[data-device-forgotten]")) { forgetDevice(); }
    if ($("[data-clear-drafts]")) { clearDrafts(); }
    $all("[data-forget-device]").forEach(function (form) {
      form.addEventListener("submit", function (event) { confirmForget(form, event); });
    });
    $all("[data-clear-drafts-on-submit]").forEach(function (form) {
      form.addEventListener("submit", clearDrafts);
    });
  }

  /* A draft of the typed fields (never the files, never who the filer is) in localStorage,
     so a reload or a dropped connection does not lose a half-written complaint. */
  function initDraft(form) {
    var key = form.getAttribute("data-draft-key");
    var notice = $("[data-draft-notice]");
    var store;
    try { store = window.localStorage; store.getItem(key); } catch (e) { return { clear: function () {} }; }
    try { store.removeItem(DRAFT_PREFIX + "-v1"); } catch (e) { /* the old draft kept the name and phone */ }

    function skipped(field) {
      return IDENTITY_FIELDS.indexOf(field.name) !== -1 || Boolean(field.closest("[data-draft-skip]"));
    }
    function collect() {
      var data = {};
      $all("input, select, textarea", form).forEach(function (field) {
        if (!field.name || field.type === "file" || field.type === "hidden" && field.name === "csrfmiddlewaretoken") { return; }
        if (skipped(field)) { return; }
        if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
        data[field.name] = field.value;
      });
      return data;
    }
    function meaningful(data) { return Boolean(data.description || data.station || data.place_text || data.category); }
    var save = debounce(function () {
      var data = collect();
      if (meaningful(data)) { store.setItem(key, JSON.stringify({ savedAt: Date.now(), fields: data })); }
    }, 300);
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && saved.fields && form.hasAttribute("data-fresh")) {
      fillForm(form, saved.fields, skipped);
      if (notice) {
        notice.hidden = false;
        $("[data-draft-discard]", notice).addEventListener("click", function () {
          store.removeItem(key);
          form.reset();
          form.dispatchEvent(new Event("draft-restored"));
          notice.hidden = true;
        });
      }
    }
    return { clear: function () { store.removeItem(key); } };
  }

  function initIdentityToggle(form) {
    var block = $("[data-show-when-named]", form);
    if (!block) { return; }
    function update() {
      var chosen = $('input[name="identity"]:checked', form);
      block.hidden = !chosen || chosen.value !== "named";
    }
    $all('input[name="identity"]', form).forEach(function (r) { r.addEventListener("change", update); });
    form.addEventListener("draft-restored", update);
    update();
  }

  /* Search-as-you-type against /file/stations.json; without JS the server resolves the text. */
  function initStationSearch(form) {
    var box = $("[data-station-search]", form);
    var hidden = box && $("[data-station-id]", box);
    if (!box || !hidden) { return; }
    var input = $('input[name="station"]', box);
    var list = $("[data-station-results]", box);
    var status = $("[data-station-status]", box);
    var url = box.getAttribute("data-station-search");
    var seq = 0;

    function close() { list.hidden = true; list.textContent = ""; }
    function choose(item) {
      hidden.value = item.id;
      input.value = "№" + item.number + ", " + item.address;
      status.textContent = box.getAttribute("data-msg-chosen") + " №" + item.number + " (" + item.unit + ")";
      close();
      input.focus();
      form.dispatchEvent(new Event("change"));
    }
    function render(results) {
      list.textContent = "";
      if (!results.length) {
        status.textContent = box.getAttribute("data-msg-none");
        list.hidden = true;
        return;
      }
      status.textContent = box.getAttribute("data-msg-count") + " " + results.length;
      results.forEach(function (item) {
        var li = el("li");
        var button = el("button", { type: "button" });
        button.appendChild(el("span", {}, "№" + item.number + " — " + item.address));
        button.appendChild(el("small", {}, item.unit));
        button.addEventListener("click", function () { choose(item); });
        li.appendChild(button);
        list.appendChild(li);
      });
      list.hidden = false;
    }
    var search = debounce(function () {
      var q = input.value.trim();
      if (!q) { close(); status.textContent = ""; return; }
      var mine = ++seq;
      fetch(url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (mine === seq) { render(data.results || []); } })
        .catch(function () { /* offline: the server resolves the typed text on submit */ });
    }, 250);
    input.addEventListener("input", function () { hidden.value = ""; search(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); var b = $("button", list); if (b) { b.focus(); } }
      if (e.key === "Escape") { close(); }
    });
    list.addEventListener("keydown", function (e) {
      var buttons = $all("button", list);
      var i = buttons.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < buttons.length - 1) { e.preventDefault(); buttons[i + 1].focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? buttons[i - 1] : input).focus(); }
      if (e.key === "Escape") { close(); input.focus(); }
    });
  }

  /* The kind of violation: a <select> grouped by <optgroup> (all a browser without script needs).
     Here a filter box above it narrows the options to those whose name, group or help holds
     what is typed (one match is chosen), and the chosen kind's help text shows below it. */
  function initCategoryPicker(form) {
    var box = $("[data-category-picker]", form);
    var select = box && $("[data-category-select]", box);
    var filter = box && $("[data-category-filter]", box);
    if (!select || !filter) { return; }
    var status = $("[data-category-status]", box);
    var help = $("[data-category-help]", box);
    function norm(text) { return (text || "").toLowerCase().replace(/ё/g, "е"); }
    // The full list, kept aside: each top-level node with its options (an optgroup's, or itself).
    var nodes = Array.prototype.slice.call(select.children).map(function (node) {
      var group = node.tagName === "OPTGROUP";
      return { node: node, options: group ? Array.prototype.slice.call(node.children) : [node], group: group };
    });
    function text(option, entry) {
      return norm(option.textContent + " " + (option.getAttribute("data-help") || "") + " " + (entry.group ? entry.node.label : ""));
    }
    function showHelp() {
      var chosen = select.options[select.selectedIndex];
      var value = chosen ? chosen.getAttribute("data-help") : "";
      help.textContent = value || "";
      help.hidden = !value;
    }
    function apply() {
      var q = norm(filter.value.trim());
      var chosen = select.value;
      var found = [];
      select.textContent = "";
      nodes.forEach(function (entry) {
        var keep = entry.options.filter(function (o) {
          return !o.value || !q || o.value === chosen || text(o, entry).indexOf(q) !== -1;
        });
        keep.forEach(function (o) { if (o.value && o.value !== chosen) { found.push(o); } });
        if (!keep.length) { return; }
        if (entry.group) {
          entry.node.textContent = "";
          keep.forEach(function (o) { entry.node.appendChild(o); });
        }
        select.appendChild(entry.node);
      });
      select.value = chosen;
      if (q && found.length === 1 && !chosen) { select.value = found[0].value; }
      status.textContent = !q ? "" : found.length ? box.getAttribute("data-msg-count") + " " + found.length : box.getAttribute("data-msg-none");
      showHelp();
    }
    $("[data-category-filter-box]", box).hidden = false;
    filter.addEventListener("input", debounce(apply, 120));
    filter.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); select.focus(); } });
    select.addEventListener("change", showHelp);
    form.addEventListener("draft-restored", showHelp);
    showHelp();
  }

  /* Files picked in several rounds, each checked here first (size, type) with its own error. */
  function initFilePicker(form, state) {
    var box = $("[data-file-picker]", form);
    if (!box) { return; }
    var input = $('input[type="file"]', box);
    var list = $("[data-file-list]", box);
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var accepted = (input.getAttribute("accept") || "").split(",");

    function check(file) {
      if (maxBytes && file.size > maxBytes) { return form.getAttribute("data-msg-too-large"); }
      if (file.type && accepted.indexOf(file.type) === -1) { return form.getAttribute("data-msg-bad-type"); }
      return "";
    }
    state.render = function () {
      list.textContent = "";
      state.files.forEach(function (entry, index) {
        var li = el("li", entry.error ? { "class": "has-error" } : {});
        if (entry.file.type.indexOf("image/") === 0 && !entry.error) {
          var img = el("img", { alt: "" });
          img.src = URL.createObjectURL(entry.file);
          li.appendChild(img);
        }
        li.appendChild(el("span", { "class": "filelist__name" }, entry.file.name));
        li.appendChild(el("span", { "class": "muted" }, formatSize(entry.file.size)));
        var remove = el("button", { type: "button", "class": "linkish" }, form.getAttribute("data-msg-remove"));
        remove.setAttribute("aria-label", form.getAttribute("data-msg-remove") + ": " + entry.file.name);
        remove.addEventListener("click", function () { state.files.splice(index, 1); state.render(); input.focus(); });
        li.appendChild(remove);
        if (entry.error) { li.appendChild(el("p", { "class": "error-msg" }, entry.error)); }
        list.appendChild(li);
      });
    };
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, function (file) {
        var dup = state.files.some(function (e) {
          return e.file.name === file.name && e.file.size === file.size && e.file.lastModified === file.lastModified;
        });
        if (!dup) { state.files.push({ file: file, error: check(file) }); }
      });
      input.value = "";  // the list above now holds them; the input can pick more
      state.render();
    });
  }

  function clearJsErrors(form) {
    $all("[data-js-error]", form).forEach(function (n) { n.remove(); });
    $all(".field--js-error", form).forEach(function (n) { n.classList.remove("field--error", "field--js-error"); });
    var summary = $("[data-js-errors]", form);
    if (summary) { summary.hidden = true; $("ul", summary).textContent = ""; }
  }

  function showErrors(form, state, errors) {
    var summary = $("[data-js-errors]", form);
    var ul = $("ul", summary);
    Object.keys(errors).forEach(function (name) {
      errors[name].forEach(function (err) {
        var message = err.message || err;
        var li = el("li");
        var field = name !== "__all__" && form.querySelector('[name="' + name + '"]');
        if (field) {
          var container = field.closest(".field") || field.closest("fieldset");
          var label = fieldLabel(form, name);
          li.appendChild(el("a", { href: "#" + (field.id || "") }, label ? label + ": " + message : message));
          if (container) {
            container.classList.add("field--error", "field--js-error");
            var p = el("p", { "class": "error-msg", "data-js-error": "" }, message);
            var anchor = name === "category" ? $(".choices", container) : field;
            anchor.parentNode.insertBefore(p, anchor);
          }
        } else {
          li.textContent = message;
        }
        ul.appendChild(li);
        if (name === "files") {
          state.files.forEach(function (entry) {
            if (!entry.error && message.indexOf(entry.file.name) !== -1) { entry.error = form.getAttribute("data-msg-file-error") + " " + message; }
          });
        }
      });
    });
    if (state.render) { state.render(); }
    summary.hidden = false;
    summary.focus();
  }

  function submitFiling(form, state, draft) {
    clearJsErrors(form);
    var bad = state.files.filter(function (e) { return e.error; });
    if (bad.length) {
      showErrors(form, state, { files: bad.map(function (e) { return { message: e.file.name + ": " + e.error }; }) });
      return;
    }
    var data = new FormData(form);
    data.delete("files");
    // One key per submission: sent again from the outbox, it never files a second complaint.
    var key = window.RegistryOutbox ? window.RegistryOutbox.newKey() : "";
    var action = form.getAttribute("action") || window.location.pathname;
    function queue() {
      var fields = [];
      data.forEach(function (value, name) { if (name !== "csrfmiddlewaretoken" && typeof value === "string") { fields.push([name, value]); } });
      var files = state.files.map(function (e) { return e.file; });
      var entry = window.RegistryOutbox.entryFrom(key, action, fields, files, csrfToken());
      return state.outbox.queue(entry).then(function () {
        if (state.replaces) { state.outbox.remove(state.replaces); state.replaces = null; }
        draft.clear();
        form.reset();
        state.files = [];
        state.render();
        form.dispatchEvent(new Event("draft-restored"));
        $("[data-outbox]").scrollIntoView();
      }, function () {  // this browser keeps nothing (storage refused or full): say so, keep the form
        showErrors(form, state, { __all__: [{ message: form.getAttribute("data-msg-network") }] });
      });
    }
    if (state.outbox && !navigator.onLine) { queue(); return; }
    state.files.forEach(function (e) { data.append("files", e.file, e.file.name); });
    var button = $("[data-submit]", form);
    var progress = $("[data-progress]", form);
    var bar = $("progress", progress);
    var text = $("[data-progress-text]", progress);
    button.disabled = true;
    progress.hidden = false;
    bar.value = 0;
    text.textContent = form.getAttribute("data-msg-uploading");

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    if (key) { xhr.setRequestHeader("Idempotency-Key", key); }
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        text.textContent = form.getAttribute("data-msg-uploading") + " " + pct + "%";
      }
    });
    function fail(message) {
      button.disabled = false;
      progress.hidden = true;
      showErrors(form, state, { __all__: [{ message: message }] });
    }
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 200 && body && body.ok) {
        draft.clear();
        if (state.replaces && state.outbox) { state.outbox.remove(state.replaces); }
        window.location.assign(body.redirect);
        return;
      }
      button.disabled = false;
      progress.hidden = true;
      if (body && body.errors) { showErrors(form, state, body.errors); }
      else { fail(form.getAttribute("data-msg-failed") + " (" + xhr.status + ")"); }
    });
    function dropped() {  // no answer: kept in the outbox under the same key, sent again later
      button.disabled = false;
      progress.hidden = true;
      if (state.outbox) { queue(); } else { fail(form.getAttribute("data-msg-network")); }
    }
    xhr.addEventListener("error", dropped);
    xhr.addEventListener("timeout", dropped);
    xhr.send(data);
  }

  function init() {
    initForget();
    initCopy();
    initPrint();
    initCheckAll();
    initFill();
    initFocus();
    var filing = $("[data-filing-form]");
    if (filing) { initFiling(filing); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
