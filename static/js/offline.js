/* What waits on this phone: a bar saying how many answers are kept offline (outbox.js), with "Send now" and
 * "Discard" (asked twice), and friendly words for a request that failed for want of a connection.
 * Needs outbox.js; the bar is templates/_offline.html. */
(function () {
  "use strict";

  var outbox = window.StepFree.outbox;
  var NO_CONNECTION = "No connection just now: try again when you are back online.";
  var el = function (id) { return document.getElementById(id); };
  var bar = el("outbox-bar"), note = "", noteTimer = null;

  // A fetch that could not reach the server rejects with a TypeError whose text ("Failed to fetch") is the
  // browser's, not ours: say what happened instead. Any other error already carries our own message.
  function explain(err) {
    if (!navigator.onLine || (err && err.name === "TypeError")) { return NO_CONNECTION; }
    return (err && err.message) || "Something went wrong. Try again.";
  }

  function waiting(count) {
    return count === 1 ? "1 answer waits to be sent." : count + " answers wait to be sent.";
  }

  function refresh() {
    if (!bar) { return; }
    var count = outbox.count();
    var text = note;
    if (count) {
      text = (note ? note + " " : "") + waiting(count) +
             (navigator.onLine ? "" : " They go by themselves when you are back online.");
    }
    el("outbox-text").textContent = text;
    el("outbox-actions").hidden = !count || !el("outbox-confirm").hidden;
    if (!count) { el("outbox-confirm").hidden = true; }
    bar.hidden = !count && !note;
  }

  // A passing message (what was sent, what was thrown away), shown for a while and then forgotten.
  var tally = {sent: 0, refused: 0};
  function say(text) {
    note = text;
    clearTimeout(noteTimer);
    noteTimer = setTimeout(function () { note = ""; tally = {sent: 0, refused: 0}; refresh(); }, 10000);
    refresh();
  }

  // Kept answers are sent by this bar's button, or by the page when the phone comes back online: count both.
  function answered(event) {
    if (event.detail.status < 300) { tally.sent += 1; } else { tally.refused += 1; }
    var parts = [];
    if (tally.sent) { parts.push(tally.sent === 1 ? "1 answer was sent. Thank you!" : tally.sent + " answers were sent. Thank you!"); }
    if (tally.refused) {
      parts.push(tally.refused === 1 ? "1 answer was refused by the server." : tally.refused + " answers were refused by the server.");
    }
    say(parts.join(" "));
  }

  function sendNow() {
    outbox.flush(function () {}).then(function () {
      if (outbox.count()) { say("Not sent yet: " + NO_CONNECTION.charAt(0).toLowerCase() + NO_CONNECTION.slice(1)); }
    });
  }

  function askDiscard() {
    var count = outbox.count();
    el("outbox-confirm-text").textContent = count === 1 ? "Discard the answer that waits? It will not be sent."
                                                        : "Discard the " + count + " answers that wait? They will not be sent.";
    el("outbox-actions").hidden = true;
    el("outbox-confirm").hidden = false;
    el("outbox-discard-no").focus();
  }

  function closeConfirm(focusId) {
    el("outbox-confirm").hidden = true;
    refresh();
    var target = el(focusId);
    if (target && !target.closest("[hidden]")) { target.focus(); }
  }

  if (bar) {
    el("outbox-send").addEventListener("click", sendNow);
    el("outbox-discard").addEventListener("click", askDiscard);
    el("outbox-discard-no").addEventListener("click", function () { closeConfirm("outbox-discard"); });
    el("outbox-discard-yes").addEventListener("click", function () {
      outbox.discard();
      el("outbox-confirm").hidden = true;
      say("The waiting answers were discarded.");
      el("outbox-text").focus();
    });
    el("outbox-text").setAttribute("tabindex", "-1");
    window.addEventListener("stepfree:outbox", refresh);
    window.addEventListener("stepfree:outbox-answered", answered);
    window.addEventListener("storage", refresh);     // another tab kept or sent an answer
    // The page sends what waits as soon as the phone is online; a connection that is not quite up yet at
    // that moment would leave the answers waiting, so they are sent again a little later.
    window.addEventListener("online", function () {
      refresh();
      setTimeout(function () { if (outbox.count()) { sendNow(); } }, 3000);
    });
    window.addEventListener("offline", refresh);
    refresh();
  }

  window.StepFree.offline = {explain: explain};
})();
