/* StepFree "Check nearby": the places near the volunteer that are due for a check, one card at a time. One tap
 * answers, the next card slides in from the places fetched ahead, and the answer travels in the background
 * (kept in the outbox while offline). Signed-in volunteers also agree or disagree with others' recent changes.
 * Needs outbox.js and freshness.js. User and OSM text is set with textContent only. */
(function () {
  "use strict";

  var _ = window.StepFree.i18n._, ngettext = window.StepFree.i18n.ngettext;
  var i18n = window.StepFree.i18n;

  var BATCH = 10;          // places fetched ahead at a time
  var LIMIT_MAX = 50;      // the most /api/check gives at once
  var LOW = 3;             // fetch more when fewer than this many places wait behind the card
  var TAP_GUARD_MS = 300;  // a new card ignores taps this long, so a double tap cannot answer two places
  var GLYPH = {yes: "✓", limited: "!", no: "✕", unknown: "?"};

  var el = function (id) { return document.getElementById(id); };
  // An unnamed place (a toilet, an elevator: OpenStreetMap rarely names them) is called by its category.
  function placeName(p) { return p.name || p.category_label; }
  var config = JSON.parse(el("check").dataset.config);
  var outbox = window.StepFree.outbox, freshness = window.StepFree.freshness;
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".check-answer"));
  var mapLink = el("check-map-link"), mapBase = mapLink.getAttribute("href");

  var state = {near: null, queue: [], current: null, seen: {}, seenCount: 0, loading: false, exhausted: false,
               focusNext: false, guard: null};

  // ---- small helpers -------------------------------------------------------------------------
  function say(text) { el("check-message").textContent = text; }

  var tenths = new Intl.NumberFormat(i18n.locale, {minimumFractionDigits: 1, maximumFractionDigits: 1});

  function distance(metres) {
    if (metres < 1000) { return _("%(distance)s m away", {distance: i18n.number(Math.round(metres))}); }
    return _("%(distance)s km away", {distance: tenths.format(metres / 1000)});
  }

  // A status label from the server (already in the page's language) inside a sentence.
  function lower(label) { return label.toLocaleLowerCase(i18n.locale); }

  function errorText(res) {
    if (res.data.error) { return res.data.error.message; }
    return _("The server could not take it (%(status)s).", {status: res.status});
  }

  // GET JSON; rejects with the API's own message, or with `offline` set when there is no connection.
  function getJson(url) {
    return fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          throw new Error(data.error ? data.error.message
                                     : _("The server could not answer (%(status)s).", {status: r.status}));
        }
        return data;
      });
    }, function () {
      var error = new Error(_("No connection."));
      error.offline = true;
      throw error;
    });
  }

  function eventQuery() { return config.event ? "&event=" + encodeURIComponent(config.event) : ""; }

  // ---- where the volunteer is ----------------------------------------------------------------
  function start(lon, lat, where) {
    if (state.near) { return; }   // a late answer from the geolocation prompt: the page already started
    state.near = lon.toFixed(6) + "," + lat.toFixed(6);
    el("check-where").textContent = where;
    fetchMore();
    loadPeerChecks();
  }

  function locate() {
    if (config.near) {
      start(config.near[0], config.near[1], _("Places near the position in this page's address."));
      return;
    }
    // `why` is the whole sentence: the reason and "Showing places near the map's centre instead."
    var fallback = function (why) { start(config.centre[0], config.centre[1], why); };
    if (!navigator.geolocation) {
      fallback(_("This browser cannot tell your location. Showing places near the map's centre instead."));
      return;
    }
    // A permission prompt left unanswered never calls back: do not wait on it for ever.
    var patience = setTimeout(function () {
      fallback(_("Your location did not come. Showing places near the map's centre instead."));
    }, 15000);
    navigator.geolocation.getCurrentPosition(function (pos) {
      clearTimeout(patience);
      start(pos.coords.longitude, pos.coords.latitude, _("Places near your location."));
    }, function (err) {
      clearTimeout(patience);
      fallback(err.code === err.PERMISSION_DENIED
        ? _("Your location is not shared with this page. Showing places near the map's centre instead.")
        : _("Your location is not available. Showing places near the map's centre instead."));
    }, {timeout: 10000, maximumAge: 300000});
  }

  // ---- the places due, fetched ahead ---------------------------------------------------------
  function fetchMore() {
    if (state.loading || state.exhausted || !state.near) { return; }
    state.loading = true;
    // Places this page has shown come back until their answers arrive: ask for enough to have new ones too.
    var limit = Math.min(LIMIT_MAX, BATCH + state.seenCount);
    getJson("/api/check?near=" + state.near + "&limit=" + limit + eventQuery()).then(function (data) {
      state.loading = false;
      var fresh = data.features.filter(function (f) { return !state.seen[f.id]; });
      fresh.forEach(function (f) { state.seen[f.id] = true; state.seenCount += 1; });
      state.queue = state.queue.concat(fresh);
      // Fewer than asked for: nothing more is due here. Nothing new: the rest await their answers' arrival.
      state.exhausted = data.features.length < limit || !fresh.length;
      if (!state.current) { showNext(state.focusNext); }
    }, function (err) {
      state.loading = false;
      el("check-loading").textContent = err.offline
        ? _("No connection: places load when you are back online.")
        : _("Places could not be loaded: %(error)s", {error: err.message});
      el("check-loading").hidden = !!state.current;
      if (!err.offline) { say(el("check-loading").textContent); }
    });
  }

  // ---- the card ------------------------------------------------------------------------------
  function showNext(moveFocus) {
    state.current = state.queue.shift() || null;
    state.focusNext = false;
    if (!state.current) {
      el("check-place").hidden = true;
      if (state.exhausted) {
        showDone(moveFocus);
      } else {
        // Still arriving: the card shows (and takes focus) as soon as they are here.
        state.focusNext = moveFocus;
        el("check-loading").textContent = _("Looking for places due for a check…");
        el("check-loading").hidden = false;
        fetchMore();
      }
      return;
    }
    el("check-loading").hidden = true;
    el("check-done").hidden = true;
    el("check-place").hidden = false;
    fillCard(state.current);
    slideIn();
    guardAgainstDoubleTaps();
    if (moveFocus) { el("check-title").focus(); }
    if (state.queue.length < LOW) { fetchMore(); }
  }

  function fillCard(feature) {
    var p = feature.properties;
    el("check-title").textContent = placeName(p);
    el("check-about").textContent = p.category_label + " · " + distance(p.distance_m);
    var status = el("check-status");
    status.textContent = "";
    var symbol = document.createElement("span");
    symbol.className = "status-symbol status-" + p.wheelchair;
    symbol.setAttribute("aria-hidden", "true");
    symbol.textContent = GLYPH[p.wheelchair];
    var words = document.createElement("strong");
    words.textContent = _("Wheelchair: %(status)s", {status: p.wheelchair_label});
    status.appendChild(symbol);
    status.appendChild(words);
    el("check-checked").textContent = freshness.checked(p.last_verified_at) + ".";
    mapLink.href = mapBase + "?place=" + feature.id;
    // Only a known status can be confirmed; an unknown one is answered with Yes, Limited or No.
    el("check-still").hidden = p.wheelchair === "unknown";
    el("check-still-value").textContent = _("It is still %(status)s.", {status: lower(p.wheelchair_label)});
  }

  function slideIn() {
    var card = el("check-card");
    card.classList.add("is-entering");
    void card.offsetWidth;   // lay out the starting position, so removing the class runs the transition
    card.classList.remove("is-entering");
  }

  function guardAgainstDoubleTaps() {
    buttons.forEach(function (b) { b.disabled = true; });
    clearTimeout(state.guard);
    state.guard = setTimeout(function () { buttons.forEach(function (b) { b.disabled = false; }); }, TAP_GUARD_MS);
  }

  function showDone(moveFocus) {
    el("check-loading").hidden = true;
    el("check-done-title").textContent = config.event ? _("Nothing in this event's area is due for a check")
                                                      : _("Nothing near you is due for a check");
    el("check-done").hidden = false;
    if (moveFocus) { el("check-done-title").focus(); }
  }

  // A place whose answer did not count comes again next (with its new values when it changed meanwhile).
  function askAgain(place) {
    state.queue.unshift(place);
    if (!state.current) { showNext(true); }
  }

  function refreshAndAskAgain(place) {
    getJson("/api/places/" + place.id).then(function (latest) {
      var p = place.properties, q = latest.properties;
      p.version = q.version; p.wheelchair = q.wheelchair; p.wheelchair_label = q.wheelchair_label;
      p.last_verified_at = q.last_verified_at;
      askAgain(place);
    }, function (err) {
      if (err.offline) {
        askAgain(place);
      } else {
        say(_("%(name)s is no longer on the map.", {name: placeName(place.properties)}));
      }
    });
  }

  // ---- answers -------------------------------------------------------------------------------
  function endpoint(kind, place, wheelchair) {
    var base = "/api/places/" + place.id;
    if (kind === "status") { return {url: base + "/status", body: {wheelchair: wheelchair, base_version: place.properties.version}}; }
    if (kind === "still_correct") { return {url: base + "/still-correct", body: {base_version: place.properties.version}}; }
    return {url: base + "/skip", body: {}};
  }

  // What the volunteer said, as one whole sentence: saved at once or waiting for a moderator.
  function thanks(kind, place, wheelchair, approved) {
    var name = placeName(place.properties);
    if (kind === "status") {
      var status = lower(config.valueLabels.wheelchair[wheelchair]);
      return approved ? _("Saved: %(name)s is %(status)s. Thank you!", {name: name, status: status})
                      : _("Sent for review: %(name)s is %(status)s. Thank you!", {name: name, status: status});
    }
    var still = lower(place.properties.wheelchair_label);
    return approved ? _("Saved: %(name)s is still %(status)s. Thank you!", {name: name, status: still})
                    : _("Sent for review: %(name)s is still %(status)s. Thank you!", {name: name, status: still});
  }

  function answer(button) {
    var place = state.current;
    if (!place || button.disabled) { return; }
    var kind = button.dataset.answer, wheelchair = button.dataset.wheelchair;
    var sent = endpoint(kind, place, wheelchair), name = placeName(place.properties);
    showNext(true);
    outbox.post(sent.url, sent.body).then(function (res) {
      if (res.status < 300) {
        if (kind === "skip") {
          say(_("Skipped %(name)s. You will not be asked about it again.", {name: name}));
        } else {
          say(thanks(kind, place, wheelchair, res.data.state === "approved"));
        }
      } else if (res.status === 404) {
        say(_("%(name)s is no longer on the map.", {name: name}));
      } else if (res.status === 409) {
        say(_("%(name)s changed since it was loaded. It comes again next, with its new values.", {name: name}));
        refreshAndAskAgain(place);
      } else {
        say(_("Your answer for %(name)s was not saved: %(error)s It comes again next.",
              {name: name, error: errorText(res)}));
        askAgain(place);
      }
    }, function () {
      outbox.keep(sent.url, sent.body, name);
      showWaiting(false);
      say(_("No connection: your answer for %(name)s is kept on this phone and sent when you are back online.",
            {name: name}));
    });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () { answer(button); });
  });

  // ---- answers kept while offline ------------------------------------------------------------
  function showWaiting(afterSending) {
    var line = el("check-waiting"), count = outbox.count();
    if (count) {
      line.textContent = ngettext("%(num)s answer waits to be sent when you are back online.",
                                  "%(num)s answers wait to be sent when you are back online.",
                                  count, {num: i18n.number(count)});
    } else {
      line.textContent = _("Every answer given offline is sent.");
    }
    line.hidden = !count && !afterSending;
  }

  function flushOutbox() {
    if (!outbox.count()) { return Promise.resolve(); }
    return outbox.flush(function (item, res) {
      var name = item.label;
      if (res.status < 300) {
        say(name ? _("Your answer for %(name)s given offline was sent.", {name: name})
                 : _("Your answer given offline was sent."));
      } else {
        var error = errorText(res);
        say(name ? _("Your answer for %(name)s given offline was refused: %(error)s", {name: name, error: error})
                 : _("Your answer given offline was refused: %(error)s", {error: error}));
      }
    }).then(function () { showWaiting(true); });
  }

  window.addEventListener("online", function () {
    flushOutbox().then(function () {
      // The answers kept offline have arrived: places beyond those this page has seen may be offered now.
      state.exhausted = false;
      if (state.queue.length < LOW) { fetchMore(); }
    });
  });

  // ---- peer checks: others' recent changes near here -----------------------------------------
  function valueWords(key, value) {
    if (value === undefined || value === null || value === "") { return _("not set"); }
    var labels = config.valueLabels[key];
    // Typed text in the language's quotation marks.
    return labels ? labels[value] || value : _("“%(text)s”", {text: value});
  }

  function changeLine(key, change) {
    var li = document.createElement("li");
    li.appendChild(document.createTextNode(
      _("%(field)s: %(value)s", {field: config.fieldLabels[key], value: valueWords(key, change.before[key])}) + " "));
    var arrow = document.createElement("span");
    arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = "→";
    var spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = _("changed to");
    li.appendChild(arrow);
    li.appendChild(spoken);
    li.appendChild(document.createTextNode(" " + valueWords(key, change.after[key])));
    return li;
  }

  function peerItem(change) {
    var li = document.createElement("li");
    li.className = "peer-item";
    var place = document.createElement("p");
    place.className = "peer-place";
    var name = document.createElement("strong");
    name.textContent = change.place_name;
    place.appendChild(name);
    place.appendChild(document.createTextNode(" · " + change.category_label + " · " + distance(change.distance_m)));
    var lines = document.createElement("ul");
    lines.className = "peer-changes";
    Object.keys(config.fieldLabels).forEach(function (key) {
      if (key in change.after) { lines.appendChild(changeLine(key, change)); }
    });
    var who = document.createElement("p");
    who.className = "peer-who";
    var when = freshness.ago(change.changed_at);
    who.textContent = change.author ? _("Changed %(when)s by %(author)s.", {when: when, author: change.author})
                                    : _("Changed %(when)s by a volunteer.", {when: when});
    var votes = document.createElement("div");
    votes.className = "peer-votes";
    votes.setAttribute("role", "group");
    votes.setAttribute("aria-label", _("Do you agree with this change at %(place)s?", {place: change.place_name}));
    // The button shows the word; its full name ("Agree with the change at …") is one sentence for translators.
    var at = {place: change.place_name};
    [["agree", _("Agree"), "✓", _("Agree with the change at %(place)s", at)],
     ["disagree", _("Disagree"), "✕", _("Disagree with the change at %(place)s", at)]].forEach(function (choice) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "peer-vote peer-" + choice[0];
      var glyph = document.createElement("span");
      glyph.setAttribute("aria-hidden", "true");
      glyph.textContent = choice[2] + " ";
      b.appendChild(glyph);
      var shown = document.createElement("span");
      shown.setAttribute("aria-hidden", "true");
      shown.textContent = choice[1];
      b.appendChild(shown);
      var spokenName = document.createElement("span");
      spokenName.className = "visually-hidden";
      spokenName.textContent = choice[3];
      b.appendChild(spokenName);
      b.addEventListener("click", function () { vote(change, choice[0], votes); });
      votes.appendChild(b);
    });
    [place, lines, who, votes].forEach(function (part) { li.appendChild(part); });
    return li;
  }

  function voted(votes, text) {
    var done = document.createElement("p");
    done.className = "peer-done";
    done.tabIndex = -1;
    done.textContent = text;
    votes.replaceWith(done);
    done.focus();
  }

  function vote(change, choice, votes) {
    var url = "/api/revisions/" + change.revision_id + "/votes", body = {vote: choice};
    var agree = choice === "agree";
    outbox.post(url, body).then(function (res) {
      if (res.status !== 201) {
        say(_("Your opinion on %(place)s was not saved: %(error)s", {place: change.place_name, error: errorText(res)}));
        return;
      }
      var text = agree ? _("You agree with this change. Thank you!") : _("You disagree with this change. Thank you!");
      if (res.data.reopened) { text += " " + _("Enough volunteers disagree: a moderator will look at it again."); }
      voted(votes, text);
    }, function () {
      outbox.keep(url, body, change.place_name);
      showWaiting(false);
      voted(votes, agree ? _("You agree with this change. No connection: it is sent when you are back online.")
                         : _("You disagree with this change. No connection: it is sent when you are back online."));
    });
  }

  function loadPeerChecks() {
    var list = el("peer-list"), note = el("peer-loading");
    if (!list) { return; }   // not signed in: the page offers a sign-in link instead
    getJson("/api/peer-checks?near=" + state.near).then(function (data) {
      note.textContent = _("No recent changes by other volunteers near you.");
      note.hidden = data.changes.length > 0;
      data.changes.forEach(function (change) { list.appendChild(peerItem(change)); });
    }, function (err) {
      note.textContent = err.offline ? _("No connection: recent changes load when you are back online.")
                                     : _("Recent changes could not be loaded: %(error)s", {error: err.message});
    });
  }

  // ---- start ---------------------------------------------------------------------------------
  showWaiting(false);
  // Answers kept from before go first, so the places they answer are not offered again.
  flushOutbox().then(locate);
})();
