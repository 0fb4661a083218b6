// Idle timeout with a warning (WCAG 2.2.1 Timing Adjustable).
// The server ends a session after a period without requests (SESSION_COOKIE_AGE; every request
// starts it again, pqa/sessions.py). This script counts down the same period from the page's
// data attributes and the X-PQA-Session-Expires-In header of every answer:
// two minutes before the end it opens an alert dialog with "Stay signed in" (which calls the
// session ping and so starts the period again) and "Sign out". When the time runs out it signs
// out and goes to the sign-in page with ?next= this page. Typed work is not lost: autosave.js
// keeps it in this tab's sessionStorage and puts it back after signing in.
// The countdown starts again whenever this page gets a successful answer from PQA (an autosave,
// say) and whenever another PQA tab of this browser does (through localStorage).
// When the end is the absolute lifetime (12 hours after signing in; the page's
// data-session-ends and the X-PQA-Session-Ends header say "absolute"), nothing can push it
// back: the warning says so, offers no "Stay signed in", and once closed stays closed.
(function () {
  "use strict";
  var body = document.body;
  var period = parseInt(body.dataset.sessionExpiresIn, 10);
  var dialog = document.getElementById("session-timeout");
  if (!period || !dialog || typeof dialog.showModal !== "function") return;

  var warnBefore = Math.min(parseInt(body.dataset.sessionWarning, 10) || 120, Math.floor(period / 2));
  var pingUrl = body.dataset.sessionPingUrl;
  var loginUrl = body.dataset.loginUrl;
  var stayButton = document.getElementById("session-timeout-stay");
  var signOutForm = document.getElementById("session-timeout-sign-out");
  var closeButton = document.getElementById("session-timeout-close");
  var idleText = document.getElementById("session-timeout-idle");
  var absoluteText = document.getElementById("session-timeout-absolute");
  var absolute = body.dataset.sessionEnds === "absolute";
  var SHARED_KEY = "pqa-session-deadline";
  var deadline = Date.now() + period * 1000;
  var warned = false;
  var ended = false;

  function share() {
    try { localStorage.setItem(SHARED_KEY, String(deadline)); } catch (error) { /* storage disabled */ }
  }

  function hideWarning() {
    if (!warned) return;
    warned = false;
    if (dialog.open) dialog.close();
  }

  function extend(seconds, ends) {
    if (ends) absolute = ends === "absolute";
    var next = Date.now() + seconds * 1000;
    if (absolute) {
      // The end that cannot move: count to it. "Stay signed in" bought time up to it, or no
      // time worth the name: then the warning stays, now saying why and offering no way to stay.
      deadline = next;
      share();
      if (warned && seconds <= warnBefore) warn();
      else hideWarning();
      return;
    }
    if (next > deadline) {
      deadline = next;
      share();
    }
    hideWarning();
  }

  function clock(time) {
    var date = new Date(time);
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  function warn() {
    warned = true;
    Array.prototype.forEach.call(dialog.querySelectorAll(".pqa-session-end-at"), function (element) {
      element.textContent = clock(deadline);
    });
    idleText.hidden = absolute;
    absoluteText.hidden = !absolute;
    stayButton.hidden = absolute;
    closeButton.hidden = !absolute;
    if (!dialog.open) dialog.showModal();
    (absolute ? closeButton : stayButton).focus();
  }

  function carryOn() {
    // Closed, not answered: `warned` stays set, so it does not open again before the end.
    if (dialog.open) dialog.close();
  }

  function signOut(next) {
    if (ended) return;
    ended = true;
    signOutForm.elements.next.value = next;
    signOutForm.submit();
  }

  function timeUp() {
    // Signing out ends the session on the server too, then the sign-in page brings them back here.
    signOut(loginUrl + "?next=" + encodeURIComponent(location.pathname + location.search));
  }

  function stay() {
    fetch(pingUrl, {
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Accept": "application/json", "X-Requested-With": "XMLHttpRequest" }
    }).then(function (response) {
      if (!response.ok) throw new Error("session ended");
      return response.json();
    }).then(function (answer) {
      extend(answer.expires_in || period, answer.ends);
    }).catch(timeUp);
  }

  // Wall-clock checks, so a laptop that slept still signs out on waking.
  setInterval(function () {
    var left = deadline - Date.now();
    if (left <= 0) timeUp();
    else if (left <= warnBefore * 1000 && !warned) warn();
  }, 1000);

  stayButton.addEventListener("click", stay);
  closeButton.addEventListener("click", carryOn);
  // Escape means "not now": stay signed in rather than leave the warning unanswered (near the
  // absolute end, where staying is not possible: close the warning and carry on).
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    if (absolute) carryOn();
    else stay();
  });
  signOutForm.addEventListener("submit", function () { ended = true; });

  // Any successful same-origin answer means the server started the period again. While the
  // warning is open the person cannot be using this page (the dialog is modal), so a save it
  // sets off (the field losing focus, say) does not count: only their answer to it does.
  if (window.fetch) {
    var fetchFromBrowser = window.fetch;
    window.fetch = function () {
      var url = arguments[0] && arguments[0].url ? arguments[0].url : String(arguments[0]);
      var fromWarning = url === pingUrl;
      var whileWarned = warned;
      return fetchFromBrowser.apply(this, arguments).then(function (response) {
        var ours = response.ok && response.url && new URL(response.url).origin === location.origin;
        // The server says how long is left (it writes the session at most once a minute, so
        // that can be a little less than the whole period).
        var left = parseInt(response.headers.get("X-PQA-Session-Expires-In"), 10);
        var ends = response.headers.get("X-PQA-Session-Ends");
        if (ours && !fromWarning && !whileWarned && !warned) extend(isNaN(left) ? period : left, ends);
        return response;
      });
    };
  }
  window.addEventListener("storage", function (event) {
    if (event.key !== SHARED_KEY || !event.newValue) return;
    var other = parseInt(event.newValue, 10);
    if (other > deadline) {
      deadline = other;
      hideWarning();
    }
  });
  share();
})();
