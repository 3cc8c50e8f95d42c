/* StepFree "Check nearby": the places near the volunteer that are due for a check, one card at a time. One tap
 * answers, the next card slides in from the places fetched ahead, and the answer travels in the background
 * (kept in the outbox while offline). Signed-in volunteers also agree or disagree with others' recent changes.
 * Needs outbox.js and freshness.js. User and OSM text is set with textContent only. */
(function () {
  "use strict";

  var BATCH = 10;          // places fetched ahead at a time
  var LIMIT_MAX = 50;      // the most /api/check gives at once
  var LOW = 3;             // fetch more when fewer than this many places wait behind the card
  var TAP_GUARD_MS = 300;  // a new card ignores taps this long, so a double tap cannot answer two places
  var GLYPH = {yes: "✓", limited: "!", no: "✕", unknown: "?"};

  var el = function (id) { return document.getElementById(id); };
  var config = JSON.parse(el("check").dataset.config);
  var outbox = window.StepFree.outbox, freshness = window.StepFree.freshness;
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".check-answer"));
  var mapLink = el("check-map-link"), mapBase = mapLink.getAttribute("href");

  var state = {near: null, queue: [], current: null, seen: {}, seenCount: 0, loading: false, exhausted: false,
               focusNext: false, guard: null};

  // ---- small helpers -------------------------------------------------------------------------
  function say(text) { el("check-message").textContent = text; }

  function distance(metres) {
    return metres < 1000 ? Math.round(metres) + " m away" : (metres / 1000).toFixed(1) + " km away";
  }

  function errorText(res) {
    return res.data.error ? res.data.error.message : "The server could not take it (" + res.status + ").";
  }

  // GET JSON; rejects with the API's own message, or with `offline` set when there is no connection.
  function getJson(url) {
    return fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { throw new Error(data.error ? data.error.message : "The server could not answer (" + r.status + ")."); }
        return data;
      });
    }, function () {
      var error = new Error("No connection.");
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
      start(config.near[0], config.near[1], "Places near the position in this page's address.");
      return;
    }
    var fallback = function (why) {
      start(config.centre[0], config.centre[1], why + " Showing places near the map's centre instead.");
    };
    if (!navigator.geolocation) { fallback("This browser cannot tell your location."); return; }
    // A permission prompt left unanswered never calls back: do not wait on it for ever.
    var patience = setTimeout(function () { fallback("Your location did not come."); }, 15000);
    navigator.geolocation.getCurrentPosition(function (pos) {
      clearTimeout(patience);
      start(pos.coords.longitude, pos.coords.latitude, "Places near your location.");
    }, function (err) {
      clearTimeout(patience);
      fallback(err.code === err.PERMISSION_DENIED ? "Your location is not shared with this page."
                                                  : "Your location is not available.");
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
        ? "No connection: places load when you are back online." : "Places could not be loaded: " + err.message;
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
        el("check-loading").textContent = "Looking for places due for a check…";
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
    el("check-title").textContent = p.name;
    el("check-about").textContent = p.category_label + " · " + distance(p.distance_m);
    var status = el("check-status");
    status.textContent = "";
    var symbol = document.createElement("span");
    symbol.className = "status-symbol status-" + p.wheelchair;
    symbol.setAttribute("aria-hidden", "true");
    symbol.textContent = GLYPH[p.wheelchair];
    var words = document.createElement("strong");
    words.textContent = "Wheelchair: " + p.wheelchair_label;
    status.appendChild(symbol);
    status.appendChild(words);
    el("check-checked").textContent = freshness.checked(p.last_verified_at) + ".";
    mapLink.href = mapBase + "?place=" + feature.id;
    // Only a known status can be confirmed; an unknown one is answered with Yes, Limited or No.
    el("check-still").hidden = p.wheelchair === "unknown";
    el("check-still-value").textContent = "It is still " + p.wheelchair_label.toLowerCase() + ".";
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
    el("check-done-title").textContent = config.event ? "Nothing in this event's area is due for a check"
                                                      : "Nothing near you is due for a check";
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
      if (err.offline) { askAgain(place); } else { say(place.properties.name + " is no longer on the map."); }
    });
  }

  // ---- answers -------------------------------------------------------------------------------
  function endpoint(kind, place, wheelchair) {
    var base = "/api/places/" + place.id;
    if (kind === "status") { return {url: base + "/status", body: {wheelchair: wheelchair, base_version: place.properties.version}}; }
    if (kind === "still_correct") { return {url: base + "/still-correct", body: {base_version: place.properties.version}}; }
    return {url: base + "/skip", body: {}};
  }

  function whatWasSaid(kind, place, wheelchair) {
    var name = place.properties.name;
    if (kind === "status") { return name + " is " + config.valueLabels.wheelchair[wheelchair].toLowerCase(); }
    return name + " is still " + place.properties.wheelchair_label.toLowerCase();
  }

  function answer(button) {
    var place = state.current;
    if (!place || button.disabled) { return; }
    var kind = button.dataset.answer, wheelchair = button.dataset.wheelchair;
    var sent = endpoint(kind, place, wheelchair), name = place.properties.name;
    showNext(true);
    outbox.post(sent.url, sent.body).then(function (res) {
      if (res.status < 300) {
        if (kind === "skip") {
          say("Skipped " + name + ". You will not be asked about it again.");
        } else {
          say((res.data.state === "approved" ? "Saved: " : "Sent for review: ") + whatWasSaid(kind, place, wheelchair) +
              ". Thank you!");
        }
      } else if (res.status === 404) {
        say(name + " is no longer on the map.");
      } else if (res.status === 409) {
        say(name + " changed since it was loaded. It comes again next, with its new values.");
        refreshAndAskAgain(place);
      } else {
        say("Your answer for " + name + " was not saved: " + errorText(res) + " It comes again next.");
        askAgain(place);
      }
    }, function () {
      outbox.keep(sent.url, sent.body, name);
      showWaiting(false);
      say("No connection: your answer for " + name + " is kept on this phone and sent when you are back online.");
    });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () { answer(button); });
  });

  // ---- answers kept while offline ------------------------------------------------------------
  function showWaiting(afterSending) {
    var line = el("check-waiting"), count = outbox.count();
    if (count) {
      line.textContent = count === 1 ? "1 answer waits to be sent when you are back online."
                                     : count + " answers wait to be sent when you are back online.";
    } else {
      line.textContent = "Every answer given offline is sent.";
    }
    line.hidden = !count && !afterSending;
  }

  function flushOutbox() {
    if (!outbox.count()) { return Promise.resolve(); }
    return outbox.flush(function (item, res) {
      var about = item.label ? " for " + item.label : "";
      say(res.status < 300 ? "Your answer" + about + " given offline was sent."
                           : "Your answer" + about + " given offline was refused: " + errorText(res));
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
    if (value === undefined || value === null || value === "") { return "not set"; }
    var labels = config.valueLabels[key];
    return labels ? labels[value] || value : "“" + value + "”";
  }

  function changeLine(key, change) {
    var li = document.createElement("li");
    li.appendChild(document.createTextNode(config.fieldLabels[key] + ": " + valueWords(key, change.before[key]) + " "));
    var arrow = document.createElement("span");
    arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = "→";
    var spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = "changed to";
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
    who.textContent = "Changed " + freshness.ago(change.changed_at) + " by " + (change.author || "a volunteer") + ".";
    var votes = document.createElement("div");
    votes.className = "peer-votes";
    votes.setAttribute("role", "group");
    votes.setAttribute("aria-label", "Do you agree with this change at " + change.place_name + "?");
    [["agree", "Agree", "✓"], ["disagree", "Disagree", "✕"]].forEach(function (choice) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "peer-vote peer-" + choice[0];
      var glyph = document.createElement("span");
      glyph.setAttribute("aria-hidden", "true");
      glyph.textContent = choice[2] + " ";
      b.appendChild(glyph);
      b.appendChild(document.createTextNode(choice[1]));
      var context = document.createElement("span");
      context.className = "visually-hidden";
      context.textContent = " with the change at " + change.place_name;
      b.appendChild(context);
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
    var mine = choice === "agree" ? "You agree" : "You disagree";
    outbox.post(url, body).then(function (res) {
      if (res.status !== 201) { say("Your opinion on " + change.place_name + " was not saved: " + errorText(res)); return; }
      voted(votes, mine + " with this change. Thank you!" +
            (res.data.reopened ? " Enough volunteers disagree: a moderator will look at it again." : ""));
    }, function () {
      outbox.keep(url, body, change.place_name);
      showWaiting(false);
      voted(votes, mine + " with this change. No connection: it is sent when you are back online.");
    });
  }

  function loadPeerChecks() {
    var list = el("peer-list"), note = el("peer-loading");
    if (!list) { return; }   // not signed in: the page offers a sign-in link instead
    getJson("/api/peer-checks?near=" + state.near).then(function (data) {
      note.textContent = "No recent changes by other volunteers near you.";
      note.hidden = data.changes.length > 0;
      data.changes.forEach(function (change) { list.appendChild(peerItem(change)); });
    }, function (err) {
      note.textContent = err.offline ? "No connection: recent changes load when you are back online."
                                     : "Recent changes could not be loaded: " + err.message;
    });
  }

  // ---- start ---------------------------------------------------------------------------------
  showWaiting(false);
  // Answers kept from before go first, so the places they answer are not offered again.
  flushOutbox().then(locate);
})();
