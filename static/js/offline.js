/* What waits on this phone: a bar saying how many answers are kept offline (outbox.js), with "Send now" and
 * "Discard" (asked twice), and friendly words for a request that failed for want of a connection.
 * Needs outbox.js; the bar is templates/_offline.html. */
(function () {
  "use strict";

  var i18n = window.StepFree.i18n, _ = i18n._, ngettext = i18n.ngettext, number = i18n.number;
  var outbox = window.StepFree.outbox;
  var el = function (id) { return document.getElementById(id); };
  var bar = el("outbox-bar"), note = "", noteTimer = null;

  // A fetch that could not reach the server rejects with a TypeError whose text ("Failed to fetch") is the
  // browser's, not ours: say what happened instead. Any other error already carries our own message.
  function explain(err) {
    if (!navigator.onLine || (err && err.name === "TypeError")) {
      return _("No connection just now: try again when you are back online.");
    }
    return (err && err.message) || _("Something went wrong. Try again.");
  }

  // How many answers wait; offline, also that they go by themselves (one message, so it reads as one).
  function waiting(count) {
    if (navigator.onLine) {
      return ngettext("%(num)s answer waits to be sent.", "%(num)s answers wait to be sent.", count, {num: number(count)});
    }
    return ngettext("%(num)s answer waits to be sent. They go by themselves when you are back online.",
                    "%(num)s answers wait to be sent. They go by themselves when you are back online.", count,
                    {num: number(count)});
  }

  function refresh() {
    if (!bar) { return; }
    var count = outbox.count();
    var text = note;
    if (count) {
      // The passing message and what waits are sentences of their own, one after the other.
      text = note ? note + " " + waiting(count) : waiting(count);
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
    if (tally.sent) {
      parts.push(ngettext("%(num)s answer was sent. Thank you!", "%(num)s answers were sent. Thank you!", tally.sent,
                          {num: number(tally.sent)}));
    }
    if (tally.refused) {
      parts.push(ngettext("%(num)s answer was refused by the server.", "%(num)s answers were refused by the server.",
                          tally.refused, {num: number(tally.refused)}));
    }
    say(parts.join(" "));
  }

  function sendNow() {
    outbox.flush(function () {}).then(function () {
      if (outbox.count()) { say(_("Not sent yet: no connection just now: try again when you are back online.")); }
    });
  }

  function askDiscard() {
    var count = outbox.count();
    el("outbox-confirm-text").textContent = ngettext("Discard the answer that waits? It will not be sent.",
                                                     "Discard the %(num)s answers that wait? They will not be sent.", count,
                                                     {num: number(count)});
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
      say(_("The waiting answers were discarded."));
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
