/* StepFree map page: places for the visible area, the place sheet with one-tap status, adding a place.
 * Plain JavaScript on Leaflet. User text is always set with textContent, never as HTML.
 * Needs outbox.js (answers kept while offline) and freshness.js (when a place was last checked). */
(function () {
  "use strict";

  var STATUS_WORDS = {yes: "Accessible", limited: "Partly accessible", no: "Not accessible", unknown: "Unknown"};
  var STATUS_GLYPH = {yes: "✓", limited: "!", no: "✕", unknown: "?"};
  var TOILET_WORDS = {yes: "Wheelchair-accessible toilet", no: "No wheelchair-accessible toilet", unknown: "Toilet not known"};
  var MAX_SPAN = 5.0;           // degrees; the API refuses wider views
  var outbox = window.StepFree.outbox, freshness = window.StepFree.freshness;

  var el = function (id) { return document.getElementById(id); };
  var mapEl = el("map");
  var config = JSON.parse(mapEl.dataset.config);

  var map = L.map(mapEl, {zoomControl: false, keyboard: true}).setView(config.center, config.zoom);
  L.control.zoom({position: "bottomright"}).addTo(map);
  L.tileLayer(config.tileUrl, {attribution: config.tileAttribution, maxZoom: 19}).addTo(map);
  var layer = L.layerGroup().addTo(map);

  var state = {loadedBounds: null, loadedKey: null, controller: null, features: [], current: null,
               opener: null, addPin: null, timer: null};

  // ---- small helpers -------------------------------------------------------------------------
  function setStatus(text) { el("map-status").textContent = text; }

  function filters() {
    var statuses = Array.prototype.filter.call(
      document.querySelectorAll('#filters-panel input[name="wheelchair"]'), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
    return {wheelchair: statuses, category: el("category-filter").value};
  }

  function filterQuery(f) {
    var parts = [];
    if (f.wheelchair.length && f.wheelchair.length < 4) { parts.push("wheelchair=" + encodeURIComponent(f.wheelchair.join(","))); }
    if (f.category) { parts.push("category=" + encodeURIComponent(f.category)); }
    return parts.join("&");
  }

  function bboxOf(bounds) {
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(5); }).join(",");
  }

  // Icon contents are built as nodes, never as HTML strings, so no server value is ever parsed as markup.
  function hiddenText(text, className) {
    var span = document.createElement("span");
    if (className) { span.className = className; }
    span.setAttribute("aria-hidden", "true");
    span.textContent = text;
    return span;
  }

  function markerIcon(status) {
    return L.divIcon({className: "sf-marker sf-" + status, iconSize: [44, 44], iconAnchor: [22, 22],
                      html: hiddenText(STATUS_GLYPH[status], "sf-pin")});
  }

  function clusterIcon(count) {
    var size = count < 100 ? 44 : count < 1000 ? 52 : 60;
    return L.divIcon({className: "sf-cluster", iconSize: [size, size], html: hiddenText(String(count))});
  }

  // Markers are buttons for keyboards too: Enter or Space does what a tap does.
  function onActivate(marker, handler) {
    marker.on("click", handler);
    marker.on("keypress", function (e) {
      var key = e.originalEvent.key;
      if (key === "Enter" || key === " ") { e.originalEvent.preventDefault(); handler(); }
    });
  }

  function label(el, text) { if (el) { el.setAttribute("aria-label", text); el.removeAttribute("title"); } }

  // ---- loading places for the view -----------------------------------------------------------
  function scheduleLoad() {
    clearTimeout(state.timer);
    state.timer = setTimeout(load, 250);   // pans and zooms come in bursts: ask once they settle
  }

  function load() {
    var view = map.getBounds();
    updateDownloadLink(view);
    if (view.getEast() - view.getWest() > MAX_SPAN || view.getNorth() - view.getSouth() > MAX_SPAN) {
      layer.clearLayers(); state.features = []; state.loadedBounds = null; renderList();
      setStatus("Zoom in to see places.");
      return;
    }
    var f = filters();
    if (f.wheelchair.length === 0) {
      layer.clearLayers(); state.features = []; renderList();
      setStatus("No status is selected in the filters, so no places are shown.");
      return;
    }
    var key = filterQuery(f) + "|" + (map.getZoom() >= 13 ? "near" : "far");
    // The last answer covered a wider area than the view: nothing new to ask for.
    if (state.loadedBounds && state.loadedKey === key && state.loadedBounds.contains(view) && !state.clustered) { return; }
    var padded = view.pad(0.25);
    if (state.controller) { state.controller.abort(); }
    state.controller = new AbortController();
    var url = "/api/places?bbox=" + bboxOf(padded) + (filterQuery(f) ? "&" + filterQuery(f) : "");
    fetch(url, {signal: state.controller.signal, headers: {"Accept": "application/geo+json"}})
      .then(function (r) { return r.ok ? r.json() : r.json().then(function (b) { throw new Error(b.error.message); }); })
      .then(function (data) {
        state.loadedBounds = padded; state.loadedKey = key; state.clustered = data.clustered;
        render(data);
      })
      .catch(function (err) {
        if (err.name === "AbortError") { return; }
        setStatus("Places could not be loaded: " + err.message + " Move the map to try again.");
      });
  }

  function render(data) {
    layer.clearLayers();
    state.features = data.features;
    var places = 0, groups = 0;
    data.features.forEach(function (feature) {
      var c = feature.geometry.coordinates, p = feature.properties;
      var latlng = [c[1], c[0]];
      if (p.cluster) {
        groups += 1; places += p.count;
        var m = L.marker(latlng, {icon: clusterIcon(p.count), keyboard: true}).addTo(layer);
        label(m.getElement(), "Group of " + p.count + " places: " + p.yes + " accessible, " + p.limited +
              " partly accessible, " + p.no + " not accessible, " + p.unknown + " unknown. Activate to zoom in.");
        onActivate(m, function () { map.setView(latlng, Math.min(map.getZoom() + 3, 18)); });
      } else {
        places += 1;
        var marker = L.marker(latlng, {icon: markerIcon(p.wheelchair), keyboard: true, riseOnHover: true}).addTo(layer);
        label(marker.getElement(), p.name + ", " + STATUS_WORDS[p.wheelchair]);
        marker.getElement().dataset.placeId = feature.id;
        onActivate(marker, function () { openPlace(feature.id, marker.getElement()); });
      }
    });
    if (groups) {
      setStatus(places + " places in " + groups + " groups. Zoom in to see single places.");
    } else {
      setStatus(places === 0 ? "No places here with these filters." : places + " places shown.");
    }
    renderList();
  }

  function renderList() {
    var list = el("place-list");
    list.textContent = "";
    var points = state.features.filter(function (f) { return !f.properties.cluster; });
    if (state.features.length && !points.length) {
      var li = document.createElement("li"); li.textContent = "Zoom in to list single places."; list.appendChild(li);
      return;
    }
    points.sort(function (a, b) { return a.properties.name.localeCompare(b.properties.name); });
    points.forEach(function (f) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button"; b.className = "list-item";
      var icon = document.createElement("span");
      icon.className = "sf-marker sf-" + f.properties.wheelchair; icon.setAttribute("aria-hidden", "true");
      var pin = document.createElement("span"); pin.className = "sf-pin"; pin.textContent = STATUS_GLYPH[f.properties.wheelchair];
      icon.appendChild(pin);
      var text = document.createElement("span");
      text.textContent = f.properties.name + " — " + STATUS_WORDS[f.properties.wheelchair];
      b.appendChild(icon); b.appendChild(text);
      b.addEventListener("click", function () { openPlace(f.id, b); });
      li.appendChild(b); list.appendChild(li);
    });
  }

  function updateDownloadLink(view) {
    var f = filters(), link = el("download-link");
    // With no status ticked there is nothing to download: hide the link rather than offer an error.
    link.hidden = f.wheelchair.length === 0;
    var q = filterQuery(f);
    link.href = "/export/places.geojson?bbox=" + bboxOf(view) + (q ? "&" + q : "");
  }

  // ---- panels and sheets ---------------------------------------------------------------------
  function showPanel(id, opener) {
    ["sheet", "add-sheet", "filters-panel", "list-panel"].forEach(function (other) {
      if (other !== id) { hidePanel(other, false); }
    });
    el(id).hidden = false;
    var toggle = document.querySelector('[aria-controls="' + id + '"]');
    if (toggle && toggle.hasAttribute("aria-expanded")) { toggle.setAttribute("aria-expanded", "true"); }
    state.opener = opener || document.activeElement;
    var heading = el(id).querySelector("h2");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  function hidePanel(id, restoreFocus) {
    var panel = el(id);
    if (panel.hidden) { return; }
    panel.hidden = true;
    var toggle = document.querySelector('[aria-controls="' + id + '"]');
    if (toggle && toggle.hasAttribute("aria-expanded")) { toggle.setAttribute("aria-expanded", "false"); }
    if (id === "add-sheet" && state.addPin) { map.removeLayer(state.addPin); state.addPin = null; }
    if (restoreFocus !== false && state.opener && document.body.contains(state.opener)) { state.opener.focus(); }
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close]");
    if (close) { hidePanel(close.dataset.close); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    ["sheet", "add-sheet", "filters-panel", "list-panel"].forEach(function (id) {
      if (!el(id).hidden && el(id).contains(document.activeElement)) { hidePanel(id); }
    });
  });

  function togglePanel(id, button) {
    if (el(id).hidden) { showPanel(id, button); } else { hidePanel(id); }
  }
  el("filters-button").addEventListener("click", function () { togglePanel("filters-panel", this); });
  el("list-button").addEventListener("click", function () { togglePanel("list-panel", this); });
  document.querySelectorAll('#filters-panel input, #category-filter').forEach(function (input) {
    input.addEventListener("change", function () { state.loadedBounds = null; load(); });
  });

  // ---- the place sheet -----------------------------------------------------------------------
  function openPlace(id, opener, options) {
    options = options || {};
    if (!options.keepMessage) { sheetMessage(""); }
    return fetch("/api/places/" + id, {headers: {"Accept": "application/geo+json"}})
      .then(function (r) { if (!r.ok) { throw new Error("This place is no longer on the map."); } return r.json(); })
      .then(function (feature) {
        // A refresh (no opener) of a sheet the visitor has closed meanwhile must not open it again.
        if (!opener && el("sheet").hidden) { return; }
        state.current = feature;
        fillSheet(feature);
        if (options.centre) {
          var c = feature.geometry.coordinates;
          map.setView([c[1], c[0]], Math.max(map.getZoom(), 17));
        }
        if (opener) { showPanel("sheet", opener); }
      })
      .catch(function (err) { setStatus(err.message); });
  }

  function fillSheet(feature) {
    var p = feature.properties;
    el("sheet-title").textContent = p.name;
    el("sheet-category").textContent = p.category_label;
    var status = el("sheet-status");
    status.textContent = "";
    var icon = document.createElement("span");
    icon.className = "sf-marker sf-" + p.wheelchair; icon.setAttribute("aria-hidden", "true");
    var pin = document.createElement("span"); pin.className = "sf-pin"; pin.textContent = STATUS_GLYPH[p.wheelchair];
    icon.appendChild(pin);
    var words = document.createElement("strong"); words.textContent = "Wheelchair: " + STATUS_WORDS[p.wheelchair];
    status.appendChild(icon); status.appendChild(words);
    // Properties are named as OSM tags (the data page lists them).
    el("sheet-toilets").textContent = TOILET_WORDS[p["toilets:wheelchair"]];
    el("sheet-description").textContent = p["wheelchair:description"] || "";
    el("sheet-description").hidden = !p["wheelchair:description"];
    fillVerified(p.last_verified_at);
    var pending = el("sheet-pending");
    if (p.your_pending && p.your_pending.length) {
      pending.textContent = "Your update from " + freshness.longDate(p.your_pending[0].submitted_at) + " awaits review by a moderator.";
      pending.hidden = false;
    } else {
      pending.hidden = true;
    }
    el("sheet-page-link").href = "/places/" + feature.id;
    document.querySelectorAll(".answer[data-wheelchair]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.wheelchair === p.wheelchair ? "true" : "false");
    });
    // Confirming makes sense only for a known status; an unknown one is answered with the buttons above.
    el("still-correct").hidden = p.wheelchair === "unknown";
    el("still-correct-value").textContent = "It is still " + STATUS_WORDS[p.wheelchair].toLowerCase() + ".";
  }

  // "Checked 3 years ago (12 March 2021)", the exact day in a <time> element; or that nobody ever checked.
  function fillVerified(iso) {
    var line = el("sheet-verified");
    line.textContent = freshness.checked(iso);
    if (!iso) { return; }
    var time = document.createElement("time");
    time.dateTime = iso;
    time.textContent = freshness.longDate(iso);
    line.appendChild(document.createTextNode(" ("));
    line.appendChild(time);
    line.appendChild(document.createTextNode(")."));
  }

  function sheetMessage(text, isError) {
    var m = el("sheet-message");
    m.textContent = text;
    m.classList.toggle("is-error", !!isError);
  }

  // A phone on a poor connection: answers wait in the outbox and go when the phone is back online.
  function flushOutbox() {
    outbox.flush(function (item, res) {
      var about = item.label ? " for " + item.label : "";
      if (res.status < 300) {
        setStatus("An answer" + about + " saved while offline was sent." + (res.data.message ? " " + res.data.message : ""));
      } else {
        setStatus("An answer" + about + " saved while offline was refused: " +
                  (res.data.error ? res.data.error.message : "the server could not take it."));
      }
    });
  }
  window.addEventListener("online", flushOutbox);

  function submit(url, body, onDone, errorEl) {
    if (errorEl) { errorEl.hidden = true; }
    var about = state.current && state.current.properties.name;
    // The second handler hears only a failed request: an error in handling the answer must not send it twice.
    return outbox.post(url, body).then(function (res) {
      if (res.status === 201) {
        onDone(res.data);
        return;
      }
      var error = res.data.error || {message: "Something went wrong."};
      if (res.status === 409 && state.current) {
        openPlace(state.current.id, null, {keepMessage: true});
      }
      if (errorEl) { errorEl.textContent = error.message; errorEl.hidden = false; }
      sheetMessage(error.message, true);
    }, function () {
      outbox.keep(url, body, about);
      sheetMessage("No connection. Your answer is kept on this phone and will be sent when you are back online.", true);
    });
  }

  function afterSubmission(data) {
    sheetMessage(data.state === "approved" ? "Saved. Thank you! The map shows it now."
                                           : "Sent for review. Thank you! A moderator will check it soon.");
    if (data.state === "approved") { state.loadedBounds = null; load(); }
    openPlace(state.current.id, null, {keepMessage: true});
  }

  document.querySelectorAll(".answer[data-wheelchair]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!state.current) { return; }
      submit("/api/places/" + state.current.id + "/status",
             {wheelchair: button.dataset.wheelchair, base_version: state.current.properties.version}, afterSubmission);
    });
  });

  el("still-correct").addEventListener("click", function () {
    if (!state.current) { return; }
    submit("/api/places/" + state.current.id + "/still-correct", {base_version: state.current.properties.version},
           afterSubmission);
  });

  el("details-description").addEventListener("input", function () {
    el("details-count").textContent = (255 - this.value.length) + " of 255 characters left.";
  });

  el("details-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, body = {base_version: state.current.properties.version};
    var toilet = form.querySelector('input[name="toilets_wheelchair"]:checked').value;
    if (toilet) { body.toilets_wheelchair = toilet; }
    if (form.description.value.trim()) { body.description = form.description.value.trim(); }
    if (!body.toilets_wheelchair && !body.description) {
      var e = el("details-error");
      e.textContent = "Choose a toilet answer or write a description first."; e.hidden = false;
      return;
    }
    submit("/api/places/" + state.current.id + "/status", body, function (data) {
      form.reset(); afterSubmission(data);
    }, el("details-error"));
  });

  el("report-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var problem = form.querySelector('input[name="problem"]:checked');
    if (!problem) {
      var e = el("report-error"); e.textContent = "Choose what is wrong."; e.hidden = false; return;
    }
    submit("/api/places/" + state.current.id + "/reports", {problem: problem.value, note: form.note.value},
      function () { form.reset(); sheetMessage("Report sent. A moderator will look at it. Thank you!"); },
      el("report-error"));
  });

  // ---- locate me -----------------------------------------------------------------------------
  function locate(onFound) {
    if (!navigator.geolocation) { setStatus("This browser cannot tell your location."); return; }
    setStatus("Finding your location…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var latlng = [pos.coords.latitude, pos.coords.longitude];
      onFound(latlng);
    }, function (err) {
      setStatus("Your location is not available (" + err.message + "). Move the map by hand instead.");
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }
  el("locate-button").addEventListener("click", function () {
    locate(function (latlng) { map.setView(latlng, Math.max(map.getZoom(), 17)); setStatus("Map centred on your location."); });
  });

  // ---- search --------------------------------------------------------------------------------
  el("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = el("search-input").value.trim();
    var results = el("search-results");
    if (q.length < 2) { setStatus("Type at least two letters to search."); return; }
    var c = map.getCenter();
    fetch("/api/places/search?q=" + encodeURIComponent(q) + "&near=" + c.lng.toFixed(5) + "," + c.lat.toFixed(5))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        results.textContent = "";
        if (data.error) { setStatus(data.error.message); results.hidden = true; return; }
        if (!data.features.length) { setStatus("No place named like “" + q + "” was found."); results.hidden = true; return; }
        data.features.forEach(function (f) {
          var li = document.createElement("li"), b = document.createElement("button");
          b.type = "button"; b.className = "list-item";
          b.textContent = f.properties.name + " — " + STATUS_WORDS[f.properties.wheelchair];
          b.addEventListener("click", function () {
            results.hidden = true;
            var c2 = f.geometry.coordinates;
            map.setView([c2[1], c2[0]], Math.max(map.getZoom(), 17));
            openPlace(f.id, el("search-input"));
          });
          li.appendChild(b); results.appendChild(li);
        });
        results.hidden = false;
        setStatus(data.features.length + " places found. They are listed below the search box.");
        results.querySelector("button").focus();
      });
  });

  // ---- adding a missing place ----------------------------------------------------------------
  function describePin() {
    var p = state.addPin.getLatLng();
    el("pin-position").textContent = "Pin at latitude " + p.lat.toFixed(5) + ", longitude " + p.lng.toFixed(5) + ".";
  }
  function placePin(latlng) {
    if (state.addPin) { state.addPin.setLatLng(latlng); } else {
      state.addPin = L.marker(latlng, {draggable: true, keyboard: false, zIndexOffset: 1000,
        icon: L.divIcon({className: "sf-new-pin", iconSize: [44, 44], iconAnchor: [22, 44],
                         html: hiddenText("+")})}).addTo(map);
      state.addPin.on("dragend", describePin);
    }
    describePin();
  }
  el("add-button").addEventListener("click", function () {
    placePin(map.getCenter());
    showPanel("add-sheet", this);
  });
  el("pin-centre").addEventListener("click", function () { placePin(map.getCenter()); });
  el("pin-locate").addEventListener("click", function () {
    locate(function (latlng) { map.setView(latlng, Math.max(map.getZoom(), 18)); placePin(latlng); });
  });
  el("add-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, errorEl = el("add-error");
    var pos = state.addPin.getLatLng();
    var body = {name: form.name.value, category: form.category.value, lon: pos.lng, lat: pos.lat,
                wheelchair: form.querySelector('input[name="wheelchair"]:checked').value,
                toilets_wheelchair: form.querySelector('input[name="toilets_wheelchair"]:checked').value,
                description: form.description.value};
    form.querySelectorAll("[aria-invalid]").forEach(function (i) { i.removeAttribute("aria-invalid"); });
    errorEl.hidden = true;
    outbox.post("/api/places", body).then(function (res) {
      if (res.status === 201) {
        form.reset();
        hidePanel("add-sheet");
        setStatus(res.data.state === "approved" ? "New place saved. Thank you! It is on the map now."
                                                : "New place sent for review. Thank you! It appears once a moderator approves it.");
        if (res.data.state === "approved") { state.loadedBounds = null; load(); }
        return;
      }
      var error = res.data.error || {message: "Something went wrong."};
      errorEl.textContent = error.message; errorEl.hidden = false;
      var field = error.field && form.querySelector('[name="' + error.field + '"]');
      if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); }
    }, function () {
      outbox.keep("/api/places", body, body.name);
      errorEl.textContent = "No connection. The new place is kept on this phone and will be sent when you are back online.";
      errorEl.hidden = false;
    });
  });

  // ---- start ---------------------------------------------------------------------------------
  map.on("moveend", scheduleLoad);
  load();
  flushOutbox();
  var wanted = new URLSearchParams(window.location.search).get("place");
  if (wanted && /^\d+$/.test(wanted)) { openPlace(wanted, el("search-input"), {centre: true}); }
})();
