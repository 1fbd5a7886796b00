/*
 * Document uploads: drag-and-drop, and one request per file with its own
 * progress bar, so a refused or failed file never affects the others.
 * Without this file the form still works: a plain multi-file submit, each
 * file checked and stored (or refused) on its own.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function fileRow(list, file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress of " + file.name);
    var status = document.createElement("span");
    status.className = "upload-status small";
    status.textContent = "Waiting";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function uploadOne(form, file, row, choice) {
    return new Promise(function (resolve) {
      var data = new FormData();
      form.querySelectorAll("input[type=hidden], select, input[type=text], input[type=checkbox]:checked").forEach(function (el) {
        if (el.name) data.append(el.name, el.value);
      });
      // This file's own kind and marking, chosen on its row (multi-file uploads).
      if (choice) {
        data.set("kind", choice.kind.value);
        data.set("marking", choice.marking.value);
      }
      data.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          row.bar.value = Math.round((event.loaded / event.total) * 100);
          row.status.textContent = row.bar.value + "%";
        }
      });
      xhr.addEventListener("load", function () {
        var message = "Upload failed (HTTP " + xhr.status + ").";
        var ok = false;
        try {
          var results = JSON.parse(xhr.responseText).results || [];
          message = results.map(function (r) { return r.message; }).join(" ");
          ok = results.length > 0 && results.every(function (r) { return r.ok; });
        } catch (e) { /* not JSON: keep the HTTP status */ }
        row.bar.value = ok ? 100 : row.bar.value;
        row.status.textContent = message;
        row.li.classList.add(ok ? "upload-ok" : "upload-error");
        // The message (not the <li>: a list item keeps its role) is announced at once.
        if (!ok) row.status.setAttribute("role", "alert");
        resolve(ok);
      });
      xhr.addEventListener("error", function () {
        // The answer was lost, not necessarily the file: the portal may have stored it.
        row.status.textContent = file.name + ": the connection was lost before the portal answered; refresh the list to see whether it was stored.";
        row.li.classList.add("upload-error");
        resolve(false);
      });
      row.status.textContent = "Uploading";
      xhr.send(data);
    });
  }

  function enhance(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-upload-list]");
    var zone = form.querySelector("[data-dropzone]");
    var chosen = [];
    var choices = [];
    if (!input || !list) return;
    var perFile = form.hasAttribute("data-per-file");
    var kindSelect = form.querySelector("select[name=kind]");
    var markingSelect = form.querySelector("select[name=marking]");

    // A labelled copy of the form's select (kind or marking) for one file's row, set to the form's choice.
    function selectFor(original, label, index) {
      var wrap = document.createElement("span");
      wrap.className = "upload-choice";
      var copy = original.cloneNode(true);
      copy.removeAttribute("name");
      copy.id = original.id + "-file-" + index;
      copy.removeAttribute("aria-describedby");
      copy.value = original.value;
      var lab = document.createElement("label");
      lab.htmlFor = copy.id;
      lab.className = "small";
      lab.textContent = label;
      wrap.appendChild(lab);
      wrap.appendChild(copy);
      return { wrap: wrap, select: copy };
    }

    function add(files) {
      for (var i = 0; i < files.length; i++) {
        if (!input.multiple) chosen = [];
        chosen.push(files[i]);
      }
      list.textContent = "";
      choices = [];
      chosen.forEach(function (f, index) {
        var li = document.createElement("li");
        li.className = "upload-item";
        var name = document.createElement("span");
        name.className = "upload-name";
        name.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KiB)";
        li.appendChild(name);
        if (perFile && kindSelect && markingSelect) {
          var kind = selectFor(kindSelect, "Kind of " + f.name, index);
          var marking = selectFor(markingSelect, "Marking of " + f.name, index);
          li.appendChild(kind.wrap);
          li.appendChild(marking.wrap);
          choices.push({ kind: kind.select, marking: marking.select });
        }
        list.appendChild(li);
      });
    }

    input.addEventListener("change", function () {
      chosen = [];
      add(input.files);
    });
    if (zone) {
      ["dragenter", "dragover"].forEach(function (type) {
        zone.addEventListener(type, function (event) {
          event.preventDefault();
          zone.classList.add("dropzone-active");
        });
      });
      ["dragleave", "drop"].forEach(function (type) {
        zone.addEventListener(type, function () {
          zone.classList.remove("dropzone-active");
        });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        add(event.dataTransfer.files);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!chosen.length) {
        input.focus();
        return;
      }
      var files = chosen;
      var picked = choices.map(function (c) { return { kind: { value: c.kind.value }, marking: { value: c.marking.value } }; });
      chosen = [];
      choices = [];
      list.textContent = "";
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      var rows = files.map(function (f) { return fileRow(list, f); });
      // One at a time: each file gets the whole connection and its own answer.
      var chain = Promise.resolve(true);
      var anyOk = false;
      files.forEach(function (file, i) {
        chain = chain.then(function () {
          return uploadOne(form, file, rows[i], picked[i]).then(function (ok) { anyOk = anyOk || ok; });
        });
      });
      chain.then(function () {
        if (button) button.disabled = false;
        input.value = "";
        if (anyOk) {
          var more = document.createElement("li");
          var link = document.createElement("a");
          link.href = window.location.pathname;
          link.textContent = "Refresh the list";
          more.appendChild(link);
          list.appendChild(more);
        }
      });
    });
  }

  ready(function () {
    document.querySelectorAll("form[data-upload-form]").forEach(enhance);
  });
})();
