// Typed work is never lost.
// 1. Every change is kept at once in this tab's sessionStorage (it survives a reload and a
//    trip to the sign-in page when the session has expired; it is gone when the tab is closed,
//    so case notes are not left behind on a shared computer).
// 2. A few seconds after typing stops, the draft is saved to the server, and again when the
//    page is hidden or closed (sendBeacon).
// 3. On load, a local copy newer than the server's draft is put back and saved.
(function () {
  "use strict";
  var form = document.getElementById("evaluation-form");
  if (!form) return;

  var url = form.dataset.autosaveUrl;
  var key = form.dataset.storageKey;
  var status = document.getElementById("autosave-status");
  var serverSavedAt = form.dataset.savedAt ? Date.parse(form.dataset.savedAt) : 0;
  var DELAY = 2000;

  // This tab's token: saves from this tab are not conflicts with each other; a save from
  // another tab or person still is. It lives in this page's memory, not in sessionStorage,
  // because "Duplicate tab" copies sessionStorage and two tabs must never share a token. It is
  // handed to the next page of this same tab only as the page is left, for a few seconds (a
  // reload, whose last save may reach the server after the new page was drawn), and taken
  // back at once on load, so a tab duplicated at any other moment never finds it.
  var HANDOFF = "pqa-editor-token-handoff";
  var HANDOFF_SECONDS = 5;
  function newToken() {
    return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  var token = null;
  try {
    var handed = JSON.parse(sessionStorage.getItem(HANDOFF) || "null");
    sessionStorage.removeItem(HANDOFF);
    if (handed && handed.page === location.pathname && Date.now() - handed.at < HANDOFF_SECONDS * 1000) {
      token = handed.token;
    }
    sessionStorage.removeItem("pqa-editor-token"); // the shared token of earlier versions
  } catch (error) { token = null; }
  try { token = token || newToken(); } catch (error) { token = null; }
  function handOff() {
    try {
      if (token) sessionStorage.setItem(HANDOFF, JSON.stringify({ token: token, page: location.pathname, at: Date.now() }));
    } catch (error) { /* ignore */ }
  }
  function takeBack() {
    try { sessionStorage.removeItem(HANDOFF); } catch (error) { /* ignore */ }
  }
  var tokenField = form.querySelector("input[name=editor_token]");
  if (tokenField && token) tokenField.value = token;
  var timer = null;
  var dirty = false;
  var saving = false;
  var stopped = false; // the evaluation was given to someone else: nothing more can be saved here

  function say(text) {
    if (status) status.textContent = text;
  }

  function entries() {
    var list = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") list.push([name, value]);
    });
    return list;
  }

  function keepLocally() {
    try {
      sessionStorage.setItem(key, JSON.stringify({ savedAt: Date.now(), entries: entries() }));
    } catch (error) {
      /* storage full or disabled: the server save still runs */
    }
  }

  function forgetLocal() {
    try { sessionStorage.removeItem(key); } catch (error) { /* ignore */ }
  }

  function payload() {
    var data = new FormData(form);
    data.delete("submit");
    data.delete("save");
    return data;
  }

  function setVersion(version) {
    var field = form.querySelector("input[name=version]");
    if (field && version) field.value = version;
  }

  function save() {
    timer = null;
    if (stopped) return;
    if (saving) { schedule(); return; }
    saving = true;
    dirty = false;
    say("Saving…");
    fetch(url, {
      method: "POST",
      body: payload(),
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" }
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        say("Your session has ended. Your work is kept on this page: sign in again to save it.");
        showSignIn();
        return null;
      }
      // A refusal by something in front of PQA (a proxy's 413) is not JSON: still say what happened.
      return response.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (error) { body = null; }
        if (!body || typeof body !== "object") body = { error: refusal(response.status) };
        return { status: response.status, body: body };
      });
    }).then(function (result) {
      if (!result) return;
      if (result.status === 200) {
        setVersion(result.body.version);
        if (!dirty) forgetLocal();
        say(result.body.message);
      } else if (result.status === 409 && result.body.given_away) {
        // Not a connection problem: retrying would never succeed. The server kept the text.
        stopped = true;
        dirty = false;
        say(result.body.error);
        showLink("autosave-kept", result.body.kept_url, "Read your kept text");
      } else if (result.status === 409) {
        say(result.body.error);
        if (result.body.not_saved_url) showLink("autosave-compare", result.body.not_saved_url, "Compare your version with the saved one");
      } else {
        // Refused (an answer longer than its limit, say): nothing was saved, and the text stays
        // in its box and in this tab's copy, to be shortened; the next change is sent again.
        say(result.body.error + " " + (result.body.problems || []).join(" "));
      }
    }).catch(function () {
      say("Could not reach PQA. Your work is kept on this page and will be saved when the connection is back.");
      dirty = true;
      schedule(10000);
    }).finally(function () {
      saving = false;
    });
  }

  function refusal(status) {
    if (status === 413) {
      return "This page holds more text than PQA takes in one save, so nothing was saved. " +
        "Shorten the longest answers: each box shows its limit. Your text is kept on this page.";
    }
    return "PQA could not save your draft (error " + status + "). Your work is kept on this page.";
  }

  function schedule(delay) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, delay || DELAY);
  }

  function changed() {
    dirty = true;
    keepLocally();
    schedule();
  }

  function showLink(id, href, text) {
    if (document.getElementById(id)) return;
    var link = document.createElement("a");
    link.id = id;
    link.className = "govuk-link";
    link.href = href;
    link.textContent = text;
    status.appendChild(document.createTextNode(" "));
    status.appendChild(link);
  }

  function showSignIn() {
    showLink("autosave-sign-in", form.dataset.loginUrl, "Sign in again");
  }

  function restore(saved) {
    // Clear choices first so that a radio left empty in the copy is empty again.
    var names = {};
    saved.entries.forEach(function (pair) { names[pair[0]] = true; });
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.name === "csrfmiddlewaretoken" || element.name === "version" || element.name === "editor_token") return;
      if (element.type === "radio" || element.type === "checkbox") element.checked = false;
    });
    saved.entries.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      if (name === "version" || name === "editor_token") return;
      var fields = form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']");
      Array.prototype.forEach.call(fields, function (element) {
        if (element.type === "radio" || element.type === "checkbox") {
          if (element.value === value) element.checked = true;
        } else if (element.tagName === "TEXTAREA" || element.tagName === "INPUT") {
          element.value = value;
        }
      });
    });
    var banner = document.getElementById("restored-banner");
    if (banner) banner.hidden = false;
  }

  try {
    var saved = JSON.parse(sessionStorage.getItem(key) || "null");
    if (saved && saved.savedAt > serverSavedAt) {
      restore(saved);
      changed();
    } else if (saved) {
      forgetLocal();
    }
  } catch (error) { /* nothing to restore */ }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    if (timer) clearTimeout(timer);
    keepLocally(); // if the session has expired the copy brings the work back after sign-in
  });
  // When the tab is hidden or closed, send what is not yet saved.
  function flush() {
    if (dirty && navigator.sendBeacon) {
      if (timer) { clearTimeout(timer); timer = null; }
      if (navigator.sendBeacon(url, payload())) dirty = false;
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", function () { flush(); handOff(); });
  // Back from the back-forward cache: this page goes on, so the handed-off token is taken back.
  window.addEventListener("pageshow", function (event) { if (event.persisted) takeBack(); });
})();
