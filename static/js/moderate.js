/* Moderation: keyboard shortcuts (every one also a real button) and the small maps. */
(function () {
  "use strict";

  var _ = window.StepFree.i18n._;

  function typing(target) {
    if (!target || target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    // Radios and checkboxes take no text, so shortcuts stay available on them.
    return ["radio", "checkbox", "button", "submit"].indexOf(target.type) === -1;
  }

  function clickShortcut(key) {
    var button = document.querySelector('[data-shortcut="' + key + '"]');
    if (!button) return false;
    if (button.disabled) return true;
    var confirm = button.form && button.form.querySelector("#over-conflict");
    if (confirm && !confirm.checked) {
      // A conflict is never approved by one key press: the moderator must tick the comparison first.
      confirm.focus();
      return true;
    }
    button.click();
    return true;
  }

  function chooseReason(index) {
    var radio = document.querySelector('[data-reason-key="' + index + '"]');
    if (!radio) return false;
    radio.checked = true;
    var button = document.getElementById("reject-button");
    if (button) button.focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var key = event.key;
    var handled = false;
    if (key === "r") {
      var first = document.querySelector("#reasons input:checked") || document.querySelector("#reasons input");
      if (first) { first.focus(); handled = true; }
    } else if (/^[1-5]$/.test(key)) {
      handled = chooseReason(key);
    } else if (["a", "s", "u", "n", "h"].indexOf(key) !== -1) {
      handled = clickShortcut(key);
    } else if (key === "q") {
      var back = document.querySelector('[data-shortcut="q"]');
      if (back) { back.click(); handled = true; }
    }
    if (handled) event.preventDefault();
  });

  function textTooltip(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function baseMap(element) {
    var map = L.map(element, { scrollWheelZoom: false });
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution }).addTo(map);
    return map;
  }

  var review = document.getElementById("review-map");
  if (review && window.L) {
    var lat = parseFloat(review.dataset.lat), lon = parseFloat(review.dataset.lon);
    var map = baseMap(review);
    map.setView([lat, lon], 18);
    L.circle([lat, lon], { radius: 50, weight: 1, fill: false, dashArray: "4" }).addTo(map);
    L.circleMarker([lat, lon], { radius: 9, weight: 3, color: "#102a43", fillOpacity: 0.9 })
      .bindTooltip(textTooltip(_("This submission")), { permanent: false }).addTo(map);
    JSON.parse(review.dataset.nearby || "[]").forEach(function (p) {
      // Names come from volunteers and OSM: Leaflet would parse a string tooltip as HTML, so hand it a text node.
      L.circleMarker([p.lat, p.lon], { radius: 6, weight: 2, color: "#4a4a4a", fillOpacity: 0.5 })
        .bindTooltip(textTooltip(_("%(name)s (%(status)s)", {name: p.name, status: p.status}))).addTo(map);
    });
  }

  var area = document.getElementById("area-map");
  if (area && window.L) {
    var areaMap = baseMap(area);
    var input = document.getElementById("bbox");
    var parts = (input.value || "").split(",").map(parseFloat);
    if (parts.length === 4 && parts.every(isFinite)) {
      areaMap.fitBounds([[parts[1], parts[0]], [parts[3], parts[2]]]);
    } else {
      areaMap.setView([47.14, 9.52], 12);
    }
    document.getElementById("use-map-view").addEventListener("click", function () {
      var b = areaMap.getBounds();
      input.value = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
        return v.toFixed(5);
      }).join(",");
      input.focus();
    });
  }

  var selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      document.querySelectorAll(".row-select").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }
})();
