/*
 * Frontier Review Portal — small progressive enhancements.
 *
 * Every page works without this file; it only adds conveniences. It is an
 * external file because the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  // Forms that do something hard to undo ask first: <form data-confirm="...">.
  function initConfirm() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var message = form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
      }
    });
  }

  // The user menu is a <details>: close it on Escape and on a click outside.
  function initMenus() {
    var menus = document.querySelectorAll("details[data-menu]");
    if (!menus.length) return;
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      menus.forEach(function (menu) {
        if (menu.open) {
          menu.open = false;
          var summary = menu.querySelector("summary");
          if (summary) summary.focus();
        }
      });
    });
  }

  // Selects marked data-autosubmit submit their form when changed (e.g. "per page").
  function initAutosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          if (typeof select.form.requestSubmit === "function") {
            select.form.requestSubmit();
          } else {
            select.form.submit();
          }
        }
      });
    });
  }

  // The invitation form shows the agency or the company field to match the role.
  // Fields carry data-show-for="role_a role_b"; the role <select> has data-role-select.
  function initRoleFields() {
    var select = document.querySelector("select[data-role-select], [data-role-select] select");
    if (!select) return;
    var dependants = document.querySelectorAll("[data-show-for]");
    function update() {
      var role = select.value;
      dependants.forEach(function (el) {
        var roles = (el.getAttribute("data-show-for") || "").split(/\s+/);
        var show = !role || roles.indexOf(role) !== -1;
        el.hidden = !show;
      });
    }
    select.addEventListener("change", update);
    update();
  }

  // Move focus to the error summary so screen-reader users hear what went wrong.
  function initErrorSummary() {
    var summary = document.querySelector(".error-summary[data-autofocus]");
    if (summary) summary.focus();
  }

  // Copy buttons: <button data-copy-target="id">.
  function initCopy() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = !(navigator.clipboard && window.isSecureContext);
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy-target"));
        if (!target) return;
        var text = target.value !== undefined ? target.value : target.textContent;
        navigator.clipboard.writeText(text.trim()).then(function () {
          var original = button.textContent;
          button.textContent = "Copied";
          window.setTimeout(function () {
            button.textContent = original;
          }, 2000);
        });
      });
    });
  }

  // The search page's results with the keyboard, without a Tab past every
  // hit's second link: Down arrow from the search field goes to the first
  // result's title, Down and Up move between the titles, and Up from the
  // first or Escape goes back to the field. Arrow keys, never a character
  // key (WCAG 2.1.4), and only while the field or a result has the focus;
  // delegated from the document, so results htmx swaps in are covered.
  function initSearchKeys() {
    // The keys' hint under the field shows only where they work (scripts on).
    ready(function () {
      document.querySelectorAll("[data-search-keys]").forEach(function (hint) {
        hint.hidden = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (["ArrowDown", "ArrowUp", "Escape"].indexOf(event.key) === -1) return;
      var field = document.getElementById("search-q");
      var results = document.getElementById("search-results");
      if (!field || !results) return;
      var titles = Array.prototype.slice.call(results.querySelectorAll(".search-hit-title a"));
      var at = titles.indexOf(event.target);
      var next = null;
      if (event.target === field) {
        next = event.key === "ArrowDown" ? titles[0] || null : null;
      } else if (at !== -1) {
        if (event.key === "ArrowDown") next = titles[at + 1] || null;
        else if (event.key === "ArrowUp") next = at > 0 ? titles[at - 1] : field;
        else next = field;
      }
      if (next) {
        event.preventDefault();
        next.focus();
      }
    });
  }

  // The search form's empty fields stay out of what htmx asks as the user
  // types, so the address it puts in the history (a link to share or
  // bookmark) reads ?q=word&type=rfi, not ?q=word&type=&review=&agency=&…
  // The server reads an absent field as an empty one.
  function initSearchAddress() {
    document.addEventListener("htmx:configRequest", function (event) {
      var detail = event.detail;
      if (detail.verb !== "get" || !detail.elt || !detail.elt.closest || !detail.elt.closest("form.search-form")) return;
      var empty = [];
      detail.formData.forEach(function (value, name) {
        if (value === "") empty.push(name);
      });
      empty.forEach(function (name) {
        delete detail.parameters[name];
      });
    });
  }

  // "/" goes to the search box (the search page's own field there), as in
  // most tools with a search; not while typing in a field, and only for
  // people who keep single-key shortcuts on (<body data-shortcuts>; they can
  // turn them off under Keyboard shortcuts: WCAG 2.1.4).
  function initSlashToSearch() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.altKey || event.ctrlKey || event.metaKey) return;
      if (!document.body || !document.body.hasAttribute("data-shortcuts")) return;
      var target = event.target;
      if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      var box = document.getElementById("search-q") || document.getElementById("header-search-q");
      if (!box) return;
      event.preventDefault();
      box.focus();
      box.select();
    });
  }

  // An htmx request that fails — the server's error, a page that took too
  // long (Portal-Error: timeout), the portal unavailable, the network — says
  // so where its answer would have gone, instead of nothing happening. The
  // search results are replaced by the message (an earlier search's results
  // must not pass for this one's); elsewhere the message goes above the part,
  // leaving what was typed in it, and the next answer drawn there removes it.
  function initRequestErrors() {
    function message(xhr, verb, isSearch) {
      var status = xhr ? xhr.status : 0;
      var reason = status ? xhr.getResponseHeader("Portal-Error") : null;
      var changes = verb !== "get";
      if (!status) {
        return "The portal could not be reached. Check your connection and try again." +
          (changes ? " Reload the page first to see whether this was saved." : "");
      }
      if (reason === "timeout") {
        return isSearch ? "This search took too long and was stopped. Add words or filters to narrow it."
          : "This took too long and was stopped" + (changes ? "; nothing was saved" : "") + ". Try again.";
      }
      if (status === 503) return "The portal is temporarily unavailable" + (changes ? "; nothing was saved" : "") + ". Try again shortly.";
      if (reason === "csrf") {
        return "This page is out of date (you signed in again, or it was open a long time)" +
          (changes ? "; nothing was saved" : "") + ". Reload the page and try again.";
      }
      if (status === 403 || status === 404) return "This is no longer available to you. Reload the page to see what is.";
      return changes ? "Something went wrong and this may not have been saved. Reload the page to check before trying again."
        : "Something went wrong. Try again; if it keeps happening, tell the program office.";
    }
    function show(event) {
      var detail = event.detail || {};
      var target = detail.target;
      if (!target || !target.isConnected) return;
      var verb = (detail.requestConfig && detail.requestConfig.verb) || "get";
      var isSearch = target.id === "search-results";
      var box = document.createElement("div");
      box.className = "alert alert-error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-request-error", "");
      var text = document.createElement("div");
      text.textContent = message(detail.xhr, verb, isSearch);
      box.appendChild(text);
      if (isSearch) {
        target.replaceChildren(box);
        // The counts of the last answer no longer hold; the alert is what is read out.
        var counts = document.getElementById("search-status");
        if (counts) counts.textContent = "";
        return;
      }
      var old = target.querySelector(":scope > [data-request-error]");
      if (old) old.remove();
      target.insertBefore(box, target.firstChild);
    }
    document.addEventListener("htmx:responseError", show);
    document.addEventListener("htmx:sendError", show);
  }

  initConfirm();
  initRequestErrors();
  initSearchKeys();
  initSlashToSearch();
  initSearchAddress();
  ready(function () {
    initMenus();
    initAutosubmit();
    initRoleFields();
    initErrorSummary();
    initCopy();
  });
})();
