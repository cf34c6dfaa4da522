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
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitFiling(form, state, draft);
    });
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

  function forgetDevice() {
    try { window.localStorage.clear(); } catch (e) { /* storage disabled */ }
    try { window.sessionStorage.clear(); } catch (e) { /* storage disabled */ }
    try {
      if (window.indexedDB && indexedDB.databases) {
        indexedDB.databases().then(function (dbs) {
          dbs.forEach(function (db) { if (db.name) { indexedDB.deleteDatabase(db.name); } });
        }, function () {});
      }
    } catch (e) { /* no IndexedDB */ }
  }

  function initForget() {
    if ($("[data-device-forgotten]")) { forgetDevice(); }
    if ($("[data-clear-drafts]")) { clearDrafts(); }
    $all("[data-forget-device]").forEach(function (form) {
      form.addEventListener("submit", forgetDevice);
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
      $all("input, select, textarea", form).forEach(function (field) {
        if (!field.name || field.type === "file" || field.name === "csrfmiddlewaretoken") { return; }
        if (skipped(field) || !(field.name in saved.fields)) { return; }
        var value = saved.fields[field.name];
        if (field.type === "radio" || field.type === "checkbox") { field.checked = field.value === value; }
        else { field.value = value; }
      });
      form.dispatchEvent(new Event("draft-restored"));
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
          var labelEl = container && container.querySelector("legend, label");
          var label = labelEl ? labelEl.childNodes[0].textContent.trim() : "";
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
        window.location.assign(body.redirect);
        return;
      }
      button.disabled = false;
      progress.hidden = true;
      if (body && body.errors) { showErrors(form, state, body.errors); }
      else { fail(form.getAttribute("data-msg-failed") + " (" + xhr.status + ")"); }
    });
    xhr.addEventListener("error", function () { fail(form.getAttribute("data-msg-network")); });
    xhr.addEventListener("timeout", function () { fail(form.getAttribute("data-msg-network")); });
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
