/* StepFree map page: places for the visible area, the place sheet with one-tap status, adding a place.
 * Plain JavaScript on Leaflet. User text is always set with textContent, never as HTML.
 * Needs outbox.js (answers kept while offline) and freshness.js (when a place was last checked). */
(function () {
  "use strict";

  var i18n = window.StepFree.i18n, _ = i18n._, ngettext = i18n.ngettext, number = i18n.number;
  var STATUS_GLYPH = {yes: "✓", limited: "!", no: "✕", unknown: "?"};
  var outbox = window.StepFree.outbox, freshness = window.StepFree.freshness;
  // Coordinates as the language writes decimals ("47,12345" in German), always to five places (about a metre).
  var COORD = new Intl.NumberFormat(i18n.locale, {minimumFractionDigits: 5, maximumFractionDigits: 5});

  var el = function (id) { return document.getElementById(id); };
  var mapEl = el("map");
  var config = JSON.parse(mapEl.dataset.config);
  // The words come from the server's vocabulary, so the sheet, the list and the other pages say the same.
  var labels = JSON.parse(mapEl.dataset.labels);
  var STATUS_WORDS = labels.wheelchair, TOILET_WORDS = labels.toilets;

  // What the page calls a place: its name, or for an unnamed one (a toilet, an elevator, a platform: OpenStreetMap
  // rarely names them) its category's words.
  // An OSM address on one line (as app/i18n.py address_line writes it): "Städtle 35, 9490 Vaduz".
  function addressLine(p) {
    var join = function (parts, glue) { return parts.filter(function (v) { return v; }).join(glue); };
    return join([join([p["addr:street"] || p["addr:place"], p["addr:housenumber"]], " "),
                 join([p["addr:postcode"], p["addr:city"]], " ")], ", ");
  }

  function placeName(p) {
    return p.name || labels.categories[p.category] || p.category_label || _("Unnamed place");
  }

  var shared = sharedView();
  var map = L.map(mapEl, {zoomControl: false, keyboard: true})
    .setView(shared ? shared.center : config.center, shared ? shared.zoom : config.zoom);
  L.control.zoom({position: "bottomright"}).addTo(map);
  L.tileLayer(config.tileUrl, {attribution: config.tileAttribution, maxZoom: 19}).addTo(map);
  var layer = L.layerGroup().addTo(map);

  var state = {loadedBounds: null, loadedKey: null, controller: null, features: [], current: null,
               opener: null, addPin: null, timer: null};

  // ---- small helpers -------------------------------------------------------------------------
  // The view a shared link carries in its fragment, as "#map=zoom/lat/lon" (the form OpenStreetMap uses).
  function sharedView() {
    var m = /^#map=(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (!m) { return null; }
    var zoom = Number(m[1]), lat = Number(m[2]), lon = Number(m[3]);
    if (zoom > 19 || Math.abs(lat) > 85 || Math.abs(lon) > 180) { return null; }
    return {zoom: zoom, center: [lat, lon]};
  }

  function setStatus(text) { el("map-status").textContent = text; }

  // "A, B, C" as the language lists things (no "and": these are items, as in "Bäckerei (Accessible), Café (Unknown)").
  function listOf(items) {
    if (window.Intl && Intl.ListFormat) { return new Intl.ListFormat(i18n.locale, {type: "unit", style: "short"}).format(items); }
    return items.join(", ");
  }

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

  // The view as the API takes it: zoomed out, Leaflet's view reaches past the world, which the API refuses.
  function bboxOf(bounds) {
    var clamp = function (v, limit) { return Math.max(-limit, Math.min(limit, v)); };
    return [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 85), clamp(bounds.getEast(), 180),
            clamp(bounds.getNorth(), 85)].map(function (v) { return v.toFixed(5); }).join(",");
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

  function clusterIcon(count, className) {
    var size = count < 100 ? 44 : count < 1000 ? 52 : 60;
    return L.divIcon({className: className || "sf-cluster", iconSize: [size, size], html: hiddenText(number(count))});
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
    var f = filters();
    if (f.wheelchair.length === 0) {
      layer.clearLayers(); state.features = []; renderList();
      setStatus(_("No status is selected in the filters, so no places are shown."));
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
        setStatus(_("Places could not be loaded. %(reason)s Move the map to try again.",
                  {reason: window.StepFree.offline.explain(err)}));
      });
  }

  function render(data) {
    state.features = data.features;
    draw();
  }

  // Places closer on screen than a marker's 44 px share one marker that lists them, so no two tap targets overlap
  // (a marker stands for its first place's spot; a later place joins the first marker it would overlap).
  function nearGroups(points) {
    var groups = [], zoom = map.getZoom();
    // In a fixed order, so the same places group alike whatever area was fetched around them.
    points.slice().sort(function (a, b) { return a.id - b.id; }).forEach(function (feature) {
      var c = feature.geometry.coordinates, at = map.project([c[1], c[0]], zoom);
      var home = groups.filter(function (g) { return Math.abs(g.at.x - at.x) < 44 && Math.abs(g.at.y - at.y) < 44; })[0];
      if (home) { home.members.push(feature); } else { groups.push({at: at, latlng: [c[1], c[0]], members: [feature]}); }
    });
    return groups;
  }

  function showNearGroup(group, opener) {
    var n = group.members.length;
    renderList(group.members, ngettext("%(num)s place close together", "%(num)s places close together", n, {num: number(n)}));
    showPanel("list-panel", opener);
  }

  function draw() {
    layer.clearLayers();
    var places = 0, groups = 0;
    var points = state.features.filter(function (f) { return !f.properties.cluster; });
    var single = {};
    nearGroups(points).forEach(function (group) {
      if (group.members.length === 1) { single[group.members[0].id] = true; return; }
      places += group.members.length;
      var g = L.marker(group.latlng, {icon: clusterIcon(group.members.length, "sf-near"), keyboard: true}).addTo(layer);
      g.getElement().dataset.placeIds = group.members.map(function (f) { return f.id; }).join(" ");
      var n = group.members.length;
      label(g.getElement(), ngettext("%(num)s place close together: %(places)s. Activate to see them one by one.",
                                     "%(num)s places close together: %(places)s. Activate to see them one by one.", n,
                                     {num: number(n), places: listOf(group.members.map(function (f) {
                                       return _("%(name)s (%(status)s)", {name: placeName(f.properties),
                                                                          status: STATUS_WORDS[f.properties.wheelchair]});
                                     }))}));
      onActivate(g, function () { showNearGroup(group, g.getElement()); });
    });
    state.features.forEach(function (feature) {
      var c = feature.geometry.coordinates, p = feature.properties;
      var latlng = [c[1], c[0]];
      if (!p.cluster && !single[feature.id]) { return; }
      if (p.cluster) {
        groups += 1; places += p.count;
        var m = L.marker(latlng, {icon: clusterIcon(p.count), keyboard: true}).addTo(layer);
        label(m.getElement(), ngettext(
          "Group of %(num)s place: %(yes)s accessible, %(limited)s partly accessible, %(no)s not accessible, %(unknown)s unknown. Activate to zoom in.",
          "Group of %(num)s places: %(yes)s accessible, %(limited)s partly accessible, %(no)s not accessible, %(unknown)s unknown. Activate to zoom in.",
          p.count, {num: number(p.count), yes: number(p.yes), limited: number(p.limited), no: number(p.no),
                    unknown: number(p.unknown)}));
        onActivate(m, function () { map.setView(latlng, Math.min(map.getZoom() + 3, 18)); });
      } else {
        places += 1;
        var marker = L.marker(latlng, {icon: markerIcon(p.wheelchair), keyboard: true, riseOnHover: true}).addTo(layer);
        label(marker.getElement(), _("%(name)s, %(status)s", {name: placeName(p), status: STATUS_WORDS[p.wheelchair]}));
        marker.getElement().dataset.placeId = feature.id;
        onActivate(marker, function () { openPlace(feature.id, marker.getElement()); });
      }
    });
    if (groups) {
      // A group holds two places or more, so "places" is always plural here; the groups are counted.
      setStatus(ngettext("%(places)s places in %(num)s group. Zoom in to see single places.",
                         "%(places)s places in %(num)s groups. Zoom in to see single places.", groups,
                         {places: number(places), num: number(groups)}));
    } else {
      setStatus(places === 0 ? _("No places here with these filters.")
                             : ngettext("%(num)s place shown.", "%(num)s places shown.", places, {num: number(places)}));
    }
    renderList();
  }

  // The list of what the map shows, or of the places one marker groups.
  function renderList(only, title) {
    var list = el("place-list");
    list.textContent = "";
    el("list-title").textContent = title || _("Places shown on the map");
    var points = only || state.features.filter(function (f) { return !f.properties.cluster; });
    if (state.features.length && !points.length) {
      var li = document.createElement("li"); li.textContent = _("Zoom in to list single places."); list.appendChild(li);
      return;
    }
    points.sort(function (a, b) { return placeName(a.properties).localeCompare(placeName(b.properties)); });
    points.forEach(function (f) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button"; b.className = "list-item";
      var icon = document.createElement("span");
      icon.className = "sf-marker sf-" + f.properties.wheelchair; icon.setAttribute("aria-hidden", "true");
      var pin = document.createElement("span"); pin.className = "sf-pin"; pin.textContent = STATUS_GLYPH[f.properties.wheelchair];
      icon.appendChild(pin);
      var text = document.createElement("span");
      text.textContent = _("%(name)s — %(status)s", {name: placeName(f.properties), status: STATUS_WORDS[f.properties.wheelchair]});
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
  // The part of the map, in container pixels, that neither the toolbar nor the open panel covers: a bottom sheet
  // on a phone, a side panel on a wide screen.
  function visibleArea(panelId) {
    var box = mapEl.getBoundingClientRect();
    var area = {top: 0, left: 0, right: box.width, bottom: box.height};
    var bar = document.querySelector(".map-toolbar").getBoundingClientRect();
    if (bar.height) { area.top = Math.max(area.top, bar.bottom - box.top); }
    var panel = el(panelId).getBoundingClientRect();
    if (panel.height && panel.left > box.left + 1) { area.right = Math.min(area.right, panel.left - box.left); }
    else if (panel.height) { area.bottom = Math.min(area.bottom, panel.top - box.top); }
    return area;
  }

  // Pan, without animation, so a marker spanning `above` px over and `below` px under its point shows in the
  // visible area; a marker already there stays put so the map does not jump.
  function reveal(latlng, panelId, above, below) {
    var a = visibleArea(panelId), p = map.latLngToContainerPoint(latlng), margin = 8;
    if (p.y - above >= a.top + margin && p.y + below <= a.bottom - margin &&
        p.x - 22 >= a.left + margin && p.x + 22 <= a.right - margin) { return; }
    var target = L.point((a.left + a.right) / 2, (a.top + a.bottom + above - below) / 2);
    map.panBy(p.subtract(target), {animate: false});
    // One deliberate pan, not a burst of them: ask for its places now rather than after the pause.
    clearTimeout(state.timer);
    load();
  }

  function showPanel(id, opener) {
    ["sheet", "add-sheet", "filters-panel", "list-panel"].forEach(function (other) {
      if (other !== id) { hidePanel(other, false); }
    });
    el(id).hidden = false;
    // On a phone a sheet needs the height: the toolbar steps aside while one is open (map.css).
    document.body.classList.toggle("sheet-open", el(id).classList.contains("sheet"));
    document.body.classList.add("panel-open");
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
    document.body.classList.remove("sheet-open", "panel-open");
    var toggle = document.querySelector('[aria-controls="' + id + '"]');
    if (toggle && toggle.hasAttribute("aria-expanded")) { toggle.setAttribute("aria-expanded", "false"); }
    if (id === "sheet") { updateUrl(); }
    if (id === "add-sheet" && state.addPin) {
      setStatus(_("The new place's pin stays on the map: drag it, then use Add place to go on."));
    }
    if (restoreFocus !== false) { restoreOpener(); }
  }

  // A marker that opened the sheet may have been drawn anew meanwhile (the map panned): focus its successor.
  function restoreOpener() {
    var opener = state.opener;
    if (opener && !document.body.contains(opener) && opener.dataset && opener.dataset.placeId) {
      var id = opener.dataset.placeId;
      opener = document.querySelector('[data-place-id="' + id + '"], [data-place-ids~="' + id + '"]');
    }
    if (opener && document.body.contains(opener)) { opener.focus(); }
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
  el("list-button").addEventListener("click", function () { renderList(); togglePanel("list-panel", this); });
  document.querySelectorAll('#filters-panel input, #category-filter').forEach(function (input) {
    input.addEventListener("change", function () { state.loadedBounds = null; load(); });
  });

  // ---- the address follows the map -----------------------------------------------------------
  // The view and the open place stay in the URL, so a reload or a shared link shows the same.
  function currentUrl() {
    var c = map.getCenter();
    var place = !el("sheet").hidden && state.current ? "?place=" + state.current.id : "";
    return window.location.pathname + place + "#map=" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
  }
  function updateUrl() { window.history.replaceState(null, "", currentUrl()); }

  // The Web Share sheet where the phone has one; else the link goes to the clipboard, and the sheet says so.
  el("share-button").addEventListener("click", function () {
    var url = new URL(currentUrl(), window.location.href).href;
    var title = state.current ? placeName(state.current.properties) : document.title;
    if (navigator.share) {
      navigator.share({title: title, url: url}).then(function () { sheetMessage(_("Shared.")); }, function () {});
      return;
    }
    var copied = navigator.clipboard ? navigator.clipboard.writeText(url) : Promise.reject(new Error("no clipboard"));
    copied.then(function () { sheetMessage(_("Link copied. Paste it to share this place: %(url)s", {url: url})); },
                function () { sheetMessage(_("Copy this link to share this place: %(url)s", {url: url})); });
  });

  // ---- the place sheet -----------------------------------------------------------------------
  function openPlace(id, opener, options) {
    options = options || {};
    if (!options.keepMessage) { sheetMessage(""); }
    return fetch("/api/places/" + id, {headers: {"Accept": "application/geo+json"}})
      .then(function (r) { if (!r.ok) { throw new Error(_("This place is no longer on the map.")); } return r.json(); })
      .then(function (feature) {
        // A refresh (no opener) of a sheet the visitor has closed meanwhile must not open it again.
        if (!opener && el("sheet").hidden) { return; }
        state.current = feature;
        fillSheet(feature);
        var c = feature.geometry.coordinates;
        if (options.centre) { map.setView([c[1], c[0]], Math.max(map.getZoom(), 17), {animate: false}); }
        if (opener) {
          showPanel("sheet", opener);
          reveal([c[1], c[0]], "sheet", 22, 22);
        }
        updateUrl();
      })
      .catch(function (err) { setStatus(window.StepFree.offline.explain(err)); });
  }

  function fillSheet(feature) {
    var p = feature.properties;
    el("sheet-title").textContent = placeName(p);
    el("sheet-category").textContent = p.category_label;
    var address = addressLine(p);
    el("sheet-address").textContent = address;
    el("sheet-address").hidden = !address;
    var status = el("sheet-status");
    status.textContent = "";
    var icon = document.createElement("span");
    icon.className = "sf-marker sf-" + p.wheelchair; icon.setAttribute("aria-hidden", "true");
    var pin = document.createElement("span"); pin.className = "sf-pin"; pin.textContent = STATUS_GLYPH[p.wheelchair];
    icon.appendChild(pin);
    var words = document.createElement("strong"); words.textContent = _("Wheelchair: %(status)s", {status: STATUS_WORDS[p.wheelchair]});
    status.appendChild(icon); status.appendChild(words);
    // Properties are named as OSM tags (the data page lists them).
    el("sheet-toilets").textContent = TOILET_WORDS[p["toilets:wheelchair"]];
    el("sheet-description").textContent = p["wheelchair:description"] || "";
    el("sheet-description").hidden = !p["wheelchair:description"];
    fillDetails(p);
    fillPhotos(feature);
    fillVerified(p.last_verified_at);
    var pending = el("sheet-pending");
    if (p.your_pending && p.your_pending.length) {
      pending.textContent = _("Your update from %(date)s awaits review by a moderator.",
                              {date: freshness.longDate(p.your_pending[0].submitted_at)});
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
    el("still-correct-value").textContent = _("It is still %(status)s.",
                                              {status: STATUS_WORDS[p.wheelchair].toLocaleLowerCase(i18n.locale)});
  }

  // "Checked 3 years ago (12 March 2021)", the exact day in a <time> element; or that nobody ever checked.
  function fillVerified(iso) {
    var line = el("sheet-verified");
    line.textContent = freshness.checked(iso);
    if (!iso) { return; }
    var time = document.createElement("time");
    time.dateTime = iso;
    time.textContent = freshness.longDate(iso);
    // One message, "%(checked)s (%(date)s).": the day goes where the language puts it, as a <time> element.
    var parts = _("%(checked)s (%(date)s).", {checked: freshness.checked(iso)}).split("%(date)s");
    line.textContent = parts[0];
    line.appendChild(time);
    line.appendChild(document.createTextNode(parts.slice(1).join("")));
  }

  // OSM writes lengths in metres ("0.07"); the sheet says centimetres.
  function centimetres(value) {
    var metres = parseFloat(value);
    return isNaN(metres) ? null : Math.round(metres * 100);
  }

  // The place's known details in words, one short line each; nothing when none is known.
  function detailLines(p) {
    var lines = [], steps = p.step_count, height = centimetres(p["step:height"]);
    var count = steps === null || steps === undefined || steps === "" ? null : Number(steps);
    if (count === 0) {
      lines.push(_("No steps at the entrance"));
    } else if (count !== null && height !== null) {
      lines.push(ngettext("%(num)s step, at most %(height)s cm", "%(num)s steps, at most %(height)s cm", count,
                          {num: number(count), height: number(height)}));
    } else if (count !== null) {
      lines.push(ngettext("%(num)s step at the entrance", "%(num)s steps at the entrance", count, {num: number(count)}));
    } else if (height !== null) {
      lines.push(_("Highest step %(height)s cm", {height: number(height)}));
    }
    var ramp = {yes: _("Ramp"), portable: _("Portable ramp on request"), no: _("No ramp")};
    if (ramp[p["ramp:wheelchair"]]) { lines.push(ramp[p["ramp:wheelchair"]]); }
    var door = centimetres(p["door:width"]);
    if (door !== null) { lines.push(_("Door %(width)s cm wide", {width: number(door)})); }
    var automatic = {yes: _("Automatic door"), no: _("No automatic door")};
    if (automatic[p.automatic_door]) { lines.push(automatic[p.automatic_door]); }
    var where = p["entrance:step_free:description"];
    if (p["entrance:step_free"] === "yes") {
      lines.push(where ? _("Another entrance without steps: %(where)s", {where: where}) : _("Another entrance without steps"));
    } else if (p["entrance:step_free"] === "no") {
      lines.push(_("No other entrance without steps"));
    }
    var rails = {yes: _("Grab rails beside the toilet"), no: _("No grab rails beside the toilet")};
    if (rails[p["toilets:grab_rails"]]) { lines.push(rails[p["toilets:grab_rails"]]); }
    var turning = {yes: _("Room to turn a wheelchair in the toilet"), no: _("No room to turn a wheelchair in the toilet")};
    if (turning[p["toilets:turning_space"]]) { lines.push(turning[p["toilets:turning_space"]]); }
    var toiletDoor = centimetres(p["toilets:door:width"]);
    if (toiletDoor !== null) { lines.push(_("Toilet door %(width)s cm wide", {width: number(toiletDoor)})); }
    // OSM also counts the spaces ("capacity:disabled=2"): any number above none is parking.
    var parking = p["capacity:disabled"];
    if (parking === "yes" || Number(parking) > 0) {
      lines.push(_("Wheelchair parking nearby"));
    } else if (parking === "no" || parking === "0") {
      lines.push(_("No wheelchair parking nearby"));
    }
    var loop = {yes: _("Hearing loop"), limited: _("Hearing loop in some places"), no: _("No hearing loop")};
    if (loop[p.hearing_loop]) { lines.push(loop[p.hearing_loop]); }
    return lines;
  }

  function fillDetails(p) {
    var list = el("sheet-details"), lines = detailLines(p);
    list.textContent = "";
    lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    list.hidden = lines.length === 0;
  }

  function sheetMessage(text, isError) {
    var m = el("sheet-message");
    m.textContent = text;
    m.classList.toggle("is-error", !!isError);
  }

  // After a form at the foot of the sheet, its answer (near the top) is where the eyes and the focus go.
  function showSheetMessage() {
    var m = el("sheet-message");
    m.scrollIntoView({block: "nearest"});
    m.focus({preventScroll: true});
  }

  // A phone on a poor connection: answers wait in the outbox and go when the phone is back online.
  function flushOutbox() {
    outbox.flush(function (item, res) {
      var text;
      if (res.status < 300) {
        text = item.label ? _("An answer for %(name)s saved while offline was sent.", {name: item.label})
                          : _("An answer saved while offline was sent.");
        // The server's own words on it (already in the visitor's language) follow as a sentence of their own.
        setStatus(res.data.message ? text + " " + res.data.message : text);
      } else {
        var reason = res.data.error ? res.data.error.message : _("the server could not take it.");
        setStatus(item.label ? _("An answer for %(name)s saved while offline was refused: %(reason)s",
                                 {name: item.label, reason: reason})
                             : _("An answer saved while offline was refused: %(reason)s", {reason: reason}));
      }
    });
  }
  window.addEventListener("online", flushOutbox);

  // `onKept(about)`, when given, hears that the answer stayed on the phone (no connection).
  function submit(url, body, onDone, errorEl, onKept) {
    if (errorEl) { errorEl.hidden = true; }
    var about = state.current && placeName(state.current.properties);
    // The second handler hears only a failed request: an error in handling the answer must not send it twice.
    return outbox.post(url, body).then(function (res) {
      if (res.status === 201) {
        onDone(res.data);
        return;
      }
      var error = res.data.error || {message: _("Something went wrong.")};
      if (res.status === 409 && state.current) {
        openPlace(state.current.id, null, {keepMessage: true});
      }
      if (errorEl) { errorEl.textContent = error.message; errorEl.hidden = false; }
      sheetMessage(error.message, true);
    }, function () {
      outbox.keep(url, body, about);
      if (onKept) { onKept(about); }
      sheetMessage(_("No connection. Your answer is kept on this phone and will be sent when you are back online."));
    });
  }

  function afterSubmission(data) {
    // A repeat of one's own answer still waiting for review changes that answer: say so, not "sent" again.
    sheetMessage(data.state === "approved" ? _("Saved. Thank you! The map shows it now.")
                 : data.updated ? _("Your answer waiting for review now says this. A moderator will check it soon.")
                 : _("Sent for review. Thank you! A moderator will check it soon."));
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
    var left = 255 - this.value.length;
    el("details-count").textContent = ngettext("%(num)s of %(max)s characters left.", "%(num)s of %(max)s characters left.",
                                               left, {num: number(left), max: number(255)});
  });

  el("details-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, body = {base_version: state.current.properties.version};
    if (form.description.value.trim()) { body.description = form.description.value.trim(); }
    if (!body.description) {
      var e = el("details-error");
      e.textContent = _("Write a description first."); e.hidden = false;
      return;
    }
    submit("/api/places/" + state.current.id + "/status", body, function (data) {
      form.reset(); form.closest("details").open = false; afterSubmission(data); showSheetMessage();
    }, el("details-error"));
  });

  // ---- entrance, toilet and parking details ---------------------------------------------------
  var ACCESS_FORM = el("access-form");
  // What the suggested answer is made from: the entrance alone (the rule itself lives on the server).
  var ENTRANCE_KEYS = ["step_count", "step_height", "ramp", "door_width", "step_free_entrance"];
  var CHOICE_KEYS = ["ramp", "automatic_door", "step_free_entrance", "toilets_wheelchair", "toilets_grab_rails",
                     "toilets_turning_space", "parking_disabled", "hearing_loop"];
  var CENTIMETRE_KEYS = ["step_height", "door_width", "toilets_door_width"];

  function checkedValue(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  // A whole number as a number; anything else as typed, for the server to name the field it refuses.
  function wholeNumber(text) {
    text = text.trim();
    return /^\d+$/.test(text) ? Number(text) : text;
  }

  function showWhenAnswered(form) {
    var steps = checkedValue(form, "steps");
    form.querySelector('[data-for="step_count"]').hidden = steps !== "more";
    form.querySelector('[data-for="step_height"]').hidden = steps === "" || steps === "0";
    form.querySelector('[data-for="step_free_entrance_where"]').hidden = checkedValue(form, "step_free_entrance") !== "yes";
  }

  // Only what the volunteer answered: "Don't know", and a question not shown, send nothing.
  function accessAnswers(form) {
    var body = {}, steps = checkedValue(form, "steps");
    if (steps === "more") {
      body.step_count = form.step_count.value.trim() ? wholeNumber(form.step_count.value) : 3;
    } else if (steps !== "") {
      body.step_count = Number(steps);
    }
    CENTIMETRE_KEYS.forEach(function (key) {
      var field = form.querySelector('[data-for="' + key + '"]');
      if (!field.hidden && form[key].value.trim()) { body[key] = wholeNumber(form[key].value); }
    });
    CHOICE_KEYS.forEach(function (key) {
      var value = checkedValue(form, key);
      if (value) { body[key] = value; }
    });
    var where = form.step_free_entrance_where.value.trim();
    if (body.step_free_entrance === "yes" && where) { body.step_free_entrance_where = where; }
    return body;
  }

  function showSuggestion(wheelchair, reason) {
    var text = el("access-suggestion-text"), use = el("access-use");
    text.textContent = "";
    use.hidden = !wheelchair;
    use.dataset.wheelchair = wheelchair || "";
    if (wheelchair) {
      var icon = hiddenText("", "sf-marker sf-" + wheelchair + " small-marker");
      icon.appendChild(hiddenText(STATUS_GLYPH[wheelchair], "sf-pin"));
      var words = document.createElement("strong");
      words.textContent = _("Suggested: %(status)s.", {status: STATUS_WORDS[wheelchair]});
      text.appendChild(icon);
      text.appendChild(words);
    }
    if (reason) { text.appendChild(document.createTextNode((wheelchair ? " " : "") + reason)); }
  }

  // The suggestion follows the answers, asked for once the volunteer pauses; an older answer arriving late is dropped.
  function suggestSoon() {
    clearTimeout(state.suggestTimer);
    state.suggestTimer = setTimeout(function () {
      var answers = accessAnswers(ACCESS_FORM), body = {}, seq = (state.suggestSeq || 0) + 1;
      state.suggestSeq = seq;
      ENTRANCE_KEYS.forEach(function (key) { if (key in answers) { body[key] = answers[key]; } });
      if (!Object.keys(body).length) { showSuggestion(null, ""); return; }
      outbox.post("/api/suggest-status", body).then(function (res) {
        if (seq !== state.suggestSeq) { return; }
        if (res.status !== 200) { showSuggestion(null, ""); return; }
        showSuggestion(res.data.wheelchair, res.data.reason);
      }, function () { if (seq === state.suggestSeq) { showSuggestion(null, ""); } });
    }, 300);
  }

  function answersChanged(event) {
    showWhenAnswered(ACCESS_FORM);
    if (event.target.name === "steps" || ENTRANCE_KEYS.indexOf(event.target.name) !== -1) { suggestSoon(); }
  }
  ACCESS_FORM.addEventListener("change", answersChanged);
  ACCESS_FORM.addEventListener("input", answersChanged);
  ACCESS_FORM.querySelectorAll('input[name="steps"][value="more"]').forEach(function (more) {
    more.addEventListener("change", function () { if (!ACCESS_FORM.step_count.value) { ACCESS_FORM.step_count.value = "3"; } });
  });

  // The volunteer decides: the suggestion only selects the answer in this form; sending stays theirs.
  el("access-use").addEventListener("click", function () {
    var answer = ACCESS_FORM.querySelector('input[name="wheelchair"][value="' + this.dataset.wheelchair + '"]');
    if (!answer) { return; }
    answer.checked = true;
    answer.focus();
  });

  function resetAccess() {
    ACCESS_FORM.reset();
    showWhenAnswered(ACCESS_FORM);
    clearTimeout(state.suggestTimer);
    state.suggestSeq = (state.suggestSeq || 0) + 1;
    showSuggestion(null, "");
  }

  ACCESS_FORM.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!state.current) { return; }
    var id = state.current.id, version = state.current.properties.version;
    // The details and the wheelchair answer go as one submission: a moderator decides them together.
    var details = accessAnswers(ACCESS_FORM), wheelchair = checkedValue(ACCESS_FORM, "wheelchair");
    if (wheelchair) { details.wheelchair = wheelchair; }
    if (!Object.keys(details).length) {
      var e = el("access-error");
      e.textContent = _("Answer at least one question first."); e.hidden = false;
      return;
    }
    details.base_version = version;
    submit("/api/places/" + id + "/details", details, function (data) {
      resetAccess(); el("access-details").open = false; afterSubmission(data); showSheetMessage();
    }, el("access-error"));
  });

  el("report-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var problem = form.querySelector('input[name="problem"]:checked');
    if (!problem) {
      var e = el("report-error"); e.textContent = _("Choose what is wrong."); e.hidden = false; return;
    }
    submit("/api/places/" + state.current.id + "/reports", {problem: problem.value, note: form.note.value},
      function () {
        form.reset(); form.closest("details").open = false;
        sheetMessage(_("Report sent. A moderator will look at it. Thank you!"));
        showSheetMessage();
      },
      el("report-error"));
  });

  // ---- photos --------------------------------------------------------------------------------
  // Approved photos only come from the server; each is a thumbnail linking to the full image, with its subject,
  // licence and credit. Every value reaches the page as text or as the src/href of a same-origin address.
  var PHOTO_FORM = el("photo-form"), REPORT_FORM = el("photo-report-form");
  var SEND_EDGE = 2048;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Only an address of this site (a photo under /media/) or an https one (a licence's deed) becomes a link.
  function safeUrl(url, allowHttps) {
    if (typeof url !== "string" || !url) { return null; }
    var parsed;
    try { parsed = new URL(url, window.location.href); } catch (e) { return null; }
    if (parsed.origin === window.location.origin || (allowHttps && parsed.protocol === "https:")) { return parsed.href; }
    return null;
  }

  function photoFigure(photo) {
    var figure = document.createElement("figure");
    figure.className = "photo";
    var image = document.createElement("img");
    var thumb = safeUrl(photo.thumbnail_url), full = safeUrl(photo.url);
    if (thumb) { image.setAttribute("src", thumb); }
    image.setAttribute("alt", photo.alt || "");
    // The thumbnail's own size, so the sheet keeps its place while it loads.
    image.setAttribute("width", String(Number(photo.thumbnail_width) || 1));
    image.setAttribute("height", String(Number(photo.thumbnail_height) || 1));
    image.setAttribute("loading", "lazy");
    if (full) {
      var link = document.createElement("a");
      link.setAttribute("href", full);
      link.className = "photo-link";
      link.appendChild(image);
      figure.appendChild(link);
    } else {
      figure.appendChild(image);
    }
    var caption = document.createElement("figcaption");
    var subject = document.createElement("strong");
    subject.className = "photo-subject";
    subject.textContent = photo.subject_label || "";
    var credit = document.createElement("span");
    // A call inside another call's arguments escapes the message extractor: the default credit stands apart.
    var anonymous = _("StepFree contributors");
    credit.textContent = _("Photo: %(credit)s", {credit: photo.credit || anonymous});
    caption.appendChild(subject);
    caption.appendChild(credit);
    var deed = safeUrl(photo.licence_url, true), licence = document.createElement(deed ? "a" : "span");
    if (deed) { licence.setAttribute("href", deed); licence.setAttribute("rel", "license"); }
    licence.className = "photo-licence";
    licence.textContent = photo.licence_label || photo.licence || "";
    caption.appendChild(licence);
    figure.appendChild(caption);
    return figure;
  }

  function fillPhotos(feature) {
    var list = el("photo-list"), photos = feature.properties.photos || [];
    // A photo chosen for one place is never sent to another.
    if (state.photoPlace !== feature.id) { resetPhotoForm(); el("photos-message").textContent = ""; }
    state.photoPlace = feature.id;
    closeReport(false);
    list.textContent = "";
    photos.forEach(function (photo) {
      var li = document.createElement("li");
      li.className = "photo-item";
      li.dataset.photoId = photo.id;
      li.appendChild(photoFigure(photo));
      var report = document.createElement("button");
      report.type = "button"; report.className = "button photo-report-button";
      report.textContent = _("Report this photo");
      report.setAttribute("aria-expanded", "false");
      report.setAttribute("aria-controls", "photo-report-form");
      report.addEventListener("click", function () {
        if (state.reporting === photo.id) { closeReport(true); } else { openReport(photo, li, report); }
      });
      li.appendChild(report);
      list.appendChild(li);
    });
    list.hidden = photos.length === 0;
    el("photos-none").hidden = photos.length !== 0;
  }

  function photosMessage(text, isError) {
    var m = el("photos-message");
    m.textContent = text;
    m.classList.toggle("is-error", !!isError);
  }

  // One report form, shown under the photo it is about.
  function openReport(photo, li, button) {
    closeReport(false);
    state.reporting = photo.id;
    REPORT_FORM.reset();
    el("photo-report-error").hidden = true;
    el("photo-report-legend").textContent = _("What is wrong with this photo? (%(subject)s)",
                                              {subject: photo.subject_label || ""});
    li.appendChild(REPORT_FORM);
    button.setAttribute("aria-expanded", "true");
    REPORT_FORM.querySelector('input[name="problem"]').focus();
  }

  function closeReport(restoreFocus) {
    var id = state.reporting;
    state.reporting = null;
    el("photo-report-home").appendChild(REPORT_FORM);
    var button = id && document.querySelector('.photo-item[data-photo-id="' + id + '"] .photo-report-button');
    if (button) {
      button.setAttribute("aria-expanded", "false");
      if (restoreFocus) { button.focus(); }
    }
  }
  el("photo-report-cancel").addEventListener("click", function () { closeReport(true); });

  REPORT_FORM.addEventListener("submit", function (event) {
    event.preventDefault();
    var problem = REPORT_FORM.querySelector('input[name="problem"]:checked'), error = el("photo-report-error");
    if (!problem) {
      error.textContent = _("Choose what is wrong with the photo."); error.hidden = false;
      REPORT_FORM.querySelector('input[name="problem"]').focus();
      return;
    }
    error.hidden = true;
    var url = "/api/photos/" + state.reporting + "/reports", body = {problem: problem.value};
    var note = REPORT_FORM.note.value.trim();
    if (note) { body.note = note; }
    var about = state.current && placeName(state.current.properties);
    outbox.post(url, body).then(function (res) {
      if (res.status === 201) {
        closeReport(false);
        photosMessage(res.data.message || _("Report sent. A moderator will look at it. Thank you!"));
        el("photos-message").focus();
        return;
      }
      error.textContent = (res.data.error && res.data.error.message) || _("Something went wrong."); error.hidden = false;
    }, function () {
      // A report is small: like the place's own report, it waits on the phone for a connection.
      outbox.keep(url, body, about);
      closeReport(false);
      photosMessage(_("No connection. Your answer is kept on this phone and will be sent when you are back online."));
      el("photos-message").focus();
    });
  });

  // -- adding a photo --
  var PHOTO_FIELDS = {photo: "photo-file", subject: "photo-subject", licence: "photo-licence"};

  function photoStatus(text, isError) {
    var s = el("photo-status");
    s.textContent = text;
    s.classList.toggle("is-error", !!isError);
  }

  function clearPhotoErrors() {
    Object.keys(PHOTO_FIELDS).forEach(function (name) {
      el(PHOTO_FIELDS[name] + "-error").hidden = true;
    });
    el("photo-file").removeAttribute("aria-invalid");
    PHOTO_FORM.querySelectorAll("input").forEach(function (input) {
      var hint = input.name === "licence" ? "photo-licence-hint" : null;
      if (hint) { input.setAttribute("aria-describedby", hint); } else { input.removeAttribute("aria-describedby"); }
    });
  }

  // The message goes above the field (a group: above its choices), the field says it is described by it, and
  // the focus goes there, so a screen reader reads the message with the field.
  function photoFieldError(name, text) {
    var box = el(PHOTO_FIELDS[name] + "-error");
    box.textContent = text; box.hidden = false;
    var target;
    if (name === "photo") {
      target = el("photo-file");
      target.setAttribute("aria-invalid", "true");
      target.setAttribute("aria-describedby", box.id);
    } else {
      var inputs = PHOTO_FORM.querySelectorAll('input[name="' + name + '"]');
      inputs.forEach(function (input) {
        var described = input.getAttribute("aria-describedby");
        input.setAttribute("aria-describedby", described ? box.id + " " + described : box.id);
      });
      target = inputs[0];
    }
    if (target) { target.focus(); }
  }

  function resetPhotoForm() {
    PHOTO_FORM.reset();
    clearPhotoErrors();
    photoStatus("");
    el("photo-send").disabled = false;
  }

  // A big camera photo is made smaller on the phone first (long edge 2048 px, as the server keeps it): less to
  // send on a poor connection. Anything that fails sends the file as chosen; the server checks and cleans it.
  function downscaled(file) {
    if (!window.createImageBitmap || !document.createElement("canvas").toBlob) { return Promise.resolve(file); }
    return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
      var edge = Math.max(bitmap.width, bitmap.height);
      if (edge <= SEND_EDGE) { bitmap.close(); return file; }
      var scale = SEND_EDGE / edge, canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG on white, as the server would put it
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.9);
      });
    }).catch(function () { return file; });
  }

  function notSentOffline() {
    photoStatus(_("No connection: the photo was not sent. It stays chosen here, so you can send it when you are back online."), true);
  }

  PHOTO_FORM.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!state.current || el("photo-send").disabled) { return; }
    clearPhotoErrors();
    photoStatus("");
    var file = el("photo-file").files[0], subject = checkedValue(PHOTO_FORM, "subject"),
        licence = checkedValue(PHOTO_FORM, "licence");
    // The first thing missing, named, with the focus on it; nothing is sent.
    if (!file) { photoFieldError("photo", _("Choose a photo to send.")); return; }
    if (!subject) { photoFieldError("subject", _("Choose what the photo shows.")); return; }
    if (!licence) { photoFieldError("licence", _("Choose a licence for the photo.")); return; }
    // Photos never wait in the outbox (too big for the phone's storage): without a connection, they stay chosen.
    if (navigator.onLine === false) { notSentOffline(); return; }
    var placeId = state.current.id, button = el("photo-send");
    button.disabled = true;
    photoStatus(_("Sending the photo…"));
    downscaled(file).then(function (upload) {
      var data = new FormData();
      // A downscaled photo is a new JPEG: its name says so. The server reads the type from the bytes anyway.
      data.append("photo", upload, upload === file ? file.name : "photo.jpg");
      data.append("subject", subject);
      data.append("licence", licence);
      // No Content-Type: the browser writes the multipart boundary.
      return fetch("/api/places/" + placeId + "/photos", {method: "POST", credentials: "same-origin",
                                                          headers: {"X-CSRFToken": csrfToken()}, body: data});
    }).then(function (r) {
      return r.text().then(function (text) {
        var body = {};
        try { body = text ? JSON.parse(text) : {}; } catch (e) { body = {}; }
        return {status: r.status, data: body};
      });
    }).then(function (res) {
      button.disabled = false;
      if (res.status === 201) {
        resetPhotoForm();
        el("photo-add").open = false;
        photosMessage(res.data.message || _("Photo sent. Thank you! It appears once a moderator approves it."));
        el("photos-message").focus();
        return;
      }
      var error = res.data.error || {};
      var message = error.message || _("The photo could not be sent. Please try again later.");
      // The server names the field it refuses (a file that is no photo, or too large): the message goes there.
      if (PHOTO_FIELDS[error.field]) { photoFieldError(error.field, message); } else { photoStatus(message, true); }
    }, function () {
      button.disabled = false;
      notSentOffline();
    });
  });

  // ---- locate me -----------------------------------------------------------------------------
  function locate(onFound) {
    if (!navigator.geolocation) { setStatus(_("This browser cannot tell your location.")); return; }
    setStatus(_("Finding your location…"));
    navigator.geolocation.getCurrentPosition(function (pos) {
      var latlng = [pos.coords.latitude, pos.coords.longitude];
      onFound(latlng);
    }, function (err) {
      setStatus(_("Your location is not available (%(reason)s). Move the map by hand instead.", {reason: err.message}));
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }
  el("locate-button").addEventListener("click", function () {
    locate(function (latlng) { map.setView(latlng, Math.max(map.getZoom(), 17)); setStatus(_("Map centred on your location.")); });
  });

  // ---- search --------------------------------------------------------------------------------
  el("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = el("search-input").value.trim();
    var results = el("search-results");
    if (q.length < 2) { setStatus(_("Type at least two letters to search.")); return; }
    var c = map.getCenter();
    fetch("/api/places/search?q=" + encodeURIComponent(q) + "&near=" + c.lng.toFixed(5) + "," + c.lat.toFixed(5))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        results.textContent = "";
        if (data.error) { setStatus(data.error.message); results.hidden = true; return; }
        if (!data.features.length) { setStatus(_("No place named like “%(query)s” or on such a street was found.", {query: q})); results.hidden = true; return; }
        data.features.forEach(function (f) {
          var li = document.createElement("li"), b = document.createElement("button");
          b.type = "button"; b.className = "list-item";
          b.textContent = _("%(name)s — %(status)s", {name: placeName(f.properties), status: STATUS_WORDS[f.properties.wheelchair]});
          b.addEventListener("click", function () {
            results.hidden = true;
            var c2 = f.geometry.coordinates;
            map.setView([c2[1], c2[0]], Math.max(map.getZoom(), 17));
            openPlace(f.id, el("search-input"));
          });
          li.appendChild(b); results.appendChild(li);
        });
        results.hidden = false;
        var found = data.features.length;
        setStatus(ngettext("%(num)s place found. It is listed below the search box.",
                           "%(num)s places found. They are listed below the search box.", found, {num: number(found)}));
        results.querySelector("button").focus();
      });
  });

  // ---- adding a missing place ----------------------------------------------------------------
  function describePin() {
    var p = state.addPin.getLatLng();
    el("pin-position").textContent = _("Pin at latitude %(lat)s, longitude %(lon)s.",
                                       {lat: COORD.format(p.lat), lon: COORD.format(p.lng)});
  }
  // The pin's point is its tip: the 44 px pin stands above it.
  function revealPin() { reveal(state.addPin.getLatLng(), "add-sheet", 44, 0); }

  // The middle of the map the open sheet leaves visible: where "the map centre" is to the volunteer.
  function visibleCentre() {
    var a = visibleArea("add-sheet");
    return map.containerPointToLatLng([(a.left + a.right) / 2, (a.top + a.bottom) / 2 + 22]);
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
  // A pin already placed, and what was typed, wait for the volunteer: only Cancel or sending drops them.
  el("add-button").addEventListener("click", function () {
    if (!state.addPin) { placePin(map.getCenter()); }
    showPanel("add-sheet", this);
    revealPin();
  });
  el("pin-centre").addEventListener("click", function () { placePin(visibleCentre()); });
  el("pin-locate").addEventListener("click", function () {
    locate(function (latlng) { map.setView(latlng, Math.max(map.getZoom(), 18)); placePin(latlng); revealPin(); });
  });

  function endAdding() {
    if (state.addPin) { map.removeLayer(state.addPin); state.addPin = null; }
    el("add-form").reset();
    showErrors({});
    hidePanel("add-sheet");
  }
  el("add-cancel").addEventListener("click", function () { endAdding(); setStatus(_("Adding a place was cancelled.")); });

  // 6: the GOV.UK pattern. A summary at the top lists each problem as a link to its field; the field carries the
  // message above it and is marked invalid.
  var ADD_FIELDS = ["name", "category", "description"];
  function sentence(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function showErrors(errors) {
    var form = el("add-form"), list = el("add-errors-list");
    list.textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach(function (i) {
      i.removeAttribute("aria-invalid"); i.removeAttribute("aria-describedby");
    });
    ADD_FIELDS.forEach(function (name) { el("add-" + name + "-error").hidden = true; });
    var names = Object.keys(errors);
    el("add-errors").hidden = names.length === 0;
    names.forEach(function (name) {
      var field = form.querySelector('[name="' + name + '"]'), inline = el("add-" + name + "-error");
      var li = document.createElement("li");
      if (field && field.id && inline) {
        inline.textContent = errors[name]; inline.hidden = false;
        field.setAttribute("aria-invalid", "true"); field.setAttribute("aria-describedby", inline.id);
        var a = document.createElement("a");
        a.href = "#" + field.id; a.textContent = errors[name];
        // The link moves focus without touching the URL's fragment, which holds the map's view.
        a.addEventListener("click", function (event) { event.preventDefault(); field.focus(); });
        li.appendChild(a);
      } else {
        li.textContent = errors[name];
      }
      list.appendChild(li);
    });
    if (names.length) { el("add-errors").focus(); }
  }
  el("add-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, errorEl = el("add-error");
    var pos = state.addPin.getLatLng();
    var body = {name: form.name.value, category: form.category.value, lon: pos.lng, lat: pos.lat,
                wheelchair: form.querySelector('input[name="wheelchair"]:checked').value,
                toilets_wheelchair: form.querySelector('input[name="toilets_wheelchair"]:checked').value,
                description: form.description.value};
    errorEl.hidden = true;
    // What the form alone can tell is said at once, for every field; the server has the last word on the rest.
    var missing = {};
    if (!body.name.trim()) { missing.name = _("Name is required."); }
    if (!body.category) { missing.category = _("Category is required."); }
    showErrors(missing);
    if (Object.keys(missing).length) { return; }
    outbox.post("/api/places", body).then(function (res) {
      if (res.status === 201) {
        endAdding();
        setStatus(res.data.state === "approved" ? _("New place saved. Thank you! It is on the map now.")
                                                : _("New place sent for review. Thank you! It appears once a moderator approves it."));
        if (res.data.state === "approved") { state.loadedBounds = null; load(); }
        return;
      }
      var error = res.data.error || {message: _("Something went wrong.")}, found = {};
      found[error.field || "form"] = sentence(error.message);
      showErrors(found);
    }, function () {
      // Not an error of the form: the place is safe on the phone, and the offline bar shows it waiting.
      outbox.keep("/api/places", body, body.name);
      endAdding();
      setStatus(_("No connection. The new place is kept on this phone and is sent when you are back online."));
    });
  });

  // ---- start ---------------------------------------------------------------------------------
  map.on("moveend", scheduleLoad);
  // Zooming changes which places are near on screen.
  map.on("zoomend", draw);
  map.on("moveend", updateUrl);
  load();
  flushOutbox();
  var wanted = new URLSearchParams(window.location.search).get("place");
  // A link with a view keeps it; a bare ?place= centres on the place.
  if (wanted && /^\d+$/.test(wanted)) { openPlace(wanted, el("search-input"), {centre: !shared}); }
})();
