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

  function uploadOne(form, file, row) {
    return new Promise(function (resolve) {
      var data = new FormData();
      form.querySelectorAll("input[type=hidden], select, input[type=text]").forEach(function (el) {
        if (el.name) data.append(el.name, el.value);
      });
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
    if (!input || !list) return;

    function add(files) {
      for (var i = 0; i < files.length; i++) {
        if (!input.multiple) chosen = [];
        chosen.push(files[i]);
      }
      list.textContent = "";
      chosen.forEach(function (f) {
        var li = document.createElement("li");
        li.className = "upload-item";
        li.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KiB)";
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
      chosen = [];
      list.textContent = "";
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      var rows = files.map(function (f) { return fileRow(list, f); });
      // One at a time: each file gets the whole connection and its own answer.
      var chain = Promise.resolve(true);
      var anyOk = false;
      files.forEach(function (file, i) {
        chain = chain.then(function () {
          return uploadOne(form, file, rows[i]).then(function (ok) { anyOk = anyOk || ok; });
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
