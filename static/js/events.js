/* StepFree mapping events: times in the visitor's own zone, the map of an event's area, and drawing the area on
 * the organisers' form, whose GeoJSON goes into the hidden "area" field (the typed rectangle is the way without
 * a pointer or without JavaScript). Plain JavaScript on Leaflet; nothing from the server is parsed as HTML. */
(function () {
  "use strict";

  var _ = window.StepFree.i18n._, ngettext = window.StepFree.i18n.ngettext;
  var i18n = window.StepFree.i18n;

  var AREA_STYLE = {color: "#0b5cad", weight: 3, fillOpacity: 0.15, interactive: false};
  var CORNER_STYLE = {radius: 8, color: "#102a43", weight: 3, fillColor: "#ffffff", fillOpacity: 1, interactive: false};
  var TIME_FORMAT = {weekday: "short", day: "numeric", month: "long", year: "numeric", hour: "2-digit",
                     minute: "2-digit", timeZoneName: "short"};

  // The page says each time in UTC; here it is said again in the visitor's zone, which names itself, in the
  // page's language.
  function localTimes() {
    var format = new Intl.DateTimeFormat(i18n.locale, TIME_FORMAT);
    Array.prototype.forEach.call(document.querySelectorAll("time[data-local-time]"), function (el) {
      var moment = new Date(el.getAttribute("datetime"));
      if (!isNaN(moment.getTime())) { el.textContent = format.format(moment); }
    });
  }

  function baseMap(el, options) {
    var config = JSON.parse(el.dataset.config);
    var map = L.map(el, L.extend({keyboard: true}, options)).setView(config.center, config.zoom);
    L.tileLayer(config.tileUrl, {attribution: config.tileAttribution, maxZoom: 19}).addTo(map);
    return map;
  }

  function showArea(el) {
    var map = baseMap(el);
    var layer = L.geoJSON(JSON.parse(el.dataset.area), {style: AREA_STYLE, interactive: false}).addTo(map);
    map.fitBounds(layer.getBounds(), {padding: [16, 16]});
  }

  // A new event's times are most likely meant in the organiser's own zone.
  function guessZone(form) {
    if (!form.hasAttribute("data-guess-zone") || !window.Intl) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var select = form.elements.time_zone;
    var offered = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (offered) { select.value = zone; }
  }

  function round(value) { return Math.round(value * 1e7) / 1e7; }

  function parseBbox(text) {
    var parts = text.split(",").map(function (p) { return parseFloat(p); });
    if (parts.length !== 4 || parts.some(isNaN) || parts[0] >= parts[2] || parts[1] >= parts[3]) { return null; }
    return L.latLngBounds([parts[1], parts[0]], [parts[3], parts[2]]);
  }

  // The corners of a drawn area that is one ring without holes, or null (several parts: shown, not editable).
  function simpleCorners(geometry) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    if (polygons.length !== 1 || polygons[0].length !== 1) { return null; }
    return polygons[0][0].slice(0, -1).map(function (c) { return L.latLng(c[1], c[0]); });
  }

  function drawArea(box) {
    var el = function (id) { return document.getElementById(id); };
    var hidden = el("area"), bbox = el("bbox"), status = el("area-status");
    var undo = el("area-undo"), clear = el("area-clear");
    box.hidden = false;
    // Corners are tapped in quick succession: two of them must not read as a double tap that zooms.
    var map = baseMap(el("area-map"), {doubleClickZoom: false});
    var drawn = L.layerGroup().addTo(map);
    var corners = [];
    var stored = null;   // an area with several parts, kept as it is until the organiser draws a new one

    function say(text) { status.textContent = text; }

    function describe() {
      var n = corners.length;
      if (stored) { return _("The area has several parts. Tap the map to draw a new one instead."); }
      if (bbox.value.trim()) { return _("The typed rectangle is the area. Tap the map to draw one instead."); }
      if (n === 0) { return _("No corners yet: tap the map at the first corner of the area."); }
      if (n < 3) {
        return ngettext("%(num)s corner: tap at least %(more)s more.", "%(num)s corners: tap at least %(more)s more.",
                        n, {num: i18n.number(n), more: i18n.number(3 - n)});
      }
      return ngettext("%(num)s corner: the area is ready. Tap again to add a corner.",
                      "%(num)s corners: the area is ready. Tap again to add a corner.", n, {num: i18n.number(n)});
    }

    function render() {
      drawn.clearLayers();
      if (stored) {
        L.geoJSON(stored, {style: AREA_STYLE}).addTo(drawn);
      } else if (corners.length >= 3) {
        L.polygon(corners, AREA_STYLE).addTo(drawn);
      } else if (corners.length === 2) {
        L.polyline(corners, AREA_STYLE).addTo(drawn);
      }
      corners.forEach(function (c) { L.circleMarker(c, CORNER_STYLE).addTo(drawn); });
      var typed = parseBbox(bbox.value);
      if (typed) { L.rectangle(typed, AREA_STYLE).addTo(drawn); }
      if (!stored) {
        var ring = corners.map(function (c) { return [round(c.lng), round(c.lat)]; });
        hidden.value = ring.length >= 3 ? JSON.stringify({type: "Polygon", coordinates: [ring.concat([ring[0]])]}) : "";
      }
      undo.disabled = corners.length === 0;
      clear.disabled = corners.length === 0 && !stored;
      say(describe());
    }

    function load() {
      if (!hidden.value) { return null; }
      try {
        var geometry = JSON.parse(hidden.value);
        corners = simpleCorners(geometry) || [];
        if (!corners.length) { stored = geometry; }
        return L.geoJSON(geometry).getBounds();
      } catch (e) {
        hidden.value = "";   // the server said what was wrong with it; start again
        return null;
      }
    }

    // A typed rectangle and a drawn area replace each other: the server takes the rectangle when both come.
    map.on("click", function (e) {
      bbox.value = "";
      stored = null;
      corners.push(e.latlng);
      render();
    });
    bbox.addEventListener("input", function () {
      if (bbox.value.trim()) { corners = []; stored = null; }
      render();
    });
    undo.addEventListener("click", function () { corners.pop(); render(); });
    clear.addEventListener("click", function () { corners = []; stored = null; render(); });

    var bounds = load() || parseBbox(bbox.value);
    if (bounds && bounds.isValid()) { map.fitBounds(bounds, {padding: [16, 16]}); }
    render();
  }

  localTimes();
  var areaMap = document.getElementById("event-map");
  if (areaMap) { showArea(areaMap); }
  var form = document.querySelector("form.event-form");
  if (form) { guessZone(form); }
  var drawing = document.getElementById("area-drawing");
  if (drawing) { drawArea(drawing); }
}());
