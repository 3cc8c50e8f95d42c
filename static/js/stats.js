/* /stats: draws each figure's chart with Chart.js from /api/stats. The tables beside the charts hold the same
 * numbers; a chart never tells anything by colour alone: series differ in line style and point shape, bar
 * series in fill pattern, and the legend names them. */
(function () {
  "use strict";

  var _ = window.StepFree.i18n._;
  var i18n = window.StepFree.i18n;

  var page = document.querySelector("[data-stats-api]");
  if (!page || !window.Chart) { return; }

  var INK = "#1b1b1b", LINE = "#c8c8c8";
  var COLOURS = ["#0b5cad", "#a35a00", "#1d7a2e", "#6a3d9a", "#b3261e"];
  var SHAPES = ["circle", "triangle", "rectRot", "rect", "star"];
  var DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3], [4, 4]];
  var shownAreas = parseInt(page.dataset.shownAreas, 10);

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.color = INK;
  Chart.defaults.borderColor = LINE;
  Chart.defaults.font.size = 14;
  // Numbers on the axes and in the tooltips as the page's language writes them.
  Chart.defaults.locale = i18n.locale;
  var percent = new Intl.NumberFormat(i18n.locale, {style: "percent", maximumFractionDigits: 0});

  // A fill pattern per series: solid, diagonal stripes, dots, cross-hatch, horizontal stripes.
  function pattern(index) {
    var colour = COLOURS[index % COLOURS.length];
    var tile = document.createElement("canvas");
    tile.width = tile.height = 10;
    var ctx = tile.getContext("2d");
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, 10, 10);
    ctx.strokeStyle = ctx.fillStyle = "#ffffff";
    ctx.lineWidth = 2;
    var kind = index % 5;
    if (kind === 1 || kind === 3) { ctx.beginPath(); ctx.moveTo(0, 10); ctx.lineTo(10, 0); ctx.stroke(); }
    if (kind === 3) { ctx.beginPath(); ctx.moveTo(0, 0); ctx.lineTo(10, 10); ctx.stroke(); }
    if (kind === 2) { ctx.beginPath(); ctx.arc(5, 5, 2, 0, 2 * Math.PI); ctx.fill(); }
    if (kind === 4) { ctx.fillRect(0, 4, 10, 2); }
    return ctx.createPattern(tile, "repeat");
  }

  function lineSeries(label, data, index) {
    return {label: label, data: data, borderColor: COLOURS[index], backgroundColor: COLOURS[index],
            borderDash: DASHES[index], pointStyle: SHAPES[index], pointRadius: 4, borderWidth: 3, spanGaps: false};
  }

  function barSeries(label, data, index) {
    return {label: label, data: data, backgroundColor: pattern(index), borderColor: COLOURS[index], borderWidth: 1};
  }

  function percentAxis(title) {
    return {min: 0, max: 100, title: {display: true, text: title},
            ticks: {callback: function (v) { return percent.format(v / 100); }}};
  }

  function countAxis(title, stacked) {
    return {beginAtZero: true, stacked: !!stacked, title: {display: true, text: title}, ticks: {precision: 0}};
  }

  // Lines show their point shape in the legend, bars their fill pattern.
  function legend(shown, points) {
    return {legend: {display: shown, labels: {usePointStyle: !!points, pointStyleWidth: 28}}};
  }

  // Every category or area named on its axis, none skipped for room.
  var namesAxis = {ticks: {autoSkip: false}};

  var weekAxis = {title: {display: true, text: _("Week (Monday)")}};

  // A long name as lines of about `width` characters, so a phone's narrow axis does not cut it off.
  function wrap(name, width) {
    return name.split(" ").reduce(function (lines, word) {
      var last = lines[lines.length - 1];
      if (last && (last + " " + word).length <= width) { lines[lines.length - 1] = last + " " + word; }
      else { lines.push(word); }
      return lines;
    }, []);
  }

  // No bar where there is nothing to divide (no places): the table says so with an empty cell too.
  function pct(items) { return items.map(function (i) { return i.known_pct; }); }

  var FIGURES = {
    "coverage-by-category": function (s) {
      var rows = s.coverage.by_category;
      return {type: "bar", data: {
        labels: rows.map(function (r) { return wrap(s.labels.category[r.category], 16); }),
        datasets: [barSeries(_("Known status (%)"), pct(rows), 0)]},
        options: {indexAxis: "y", plugins: legend(false),
                  scales: {x: percentAxis(_("Known status (%)")), y: namesAxis}}};
    },
    "coverage-by-area": function (s) {
      var rows = s.coverage.by_area.slice(0, shownAreas);
      return {type: "bar", data: {
        labels: rows.map(function (r) { return r.bbox.join(","); }),
        datasets: [barSeries(_("Known status (%)"), pct(rows), 0)]},
        options: {indexAxis: "y", plugins: legend(false),
                  scales: {x: percentAxis(_("Known status (%)")), y: namesAxis}}};
    },
    "coverage-weekly": function (s) {
      var rows = s.coverage.weekly;
      return {type: "line", data: {
        labels: rows.map(function (r) { return r.week; }),
        datasets: [lineSeries(_("Places"), rows.map(function (r) { return r.places; }), 0),
                   lineSeries(_("Known status"), rows.map(function (r) { return r.known; }), 1)]},
        options: {plugins: legend(true, true), scales: {x: weekAxis, y: countAxis(_("Places"))}}};
    },
    "contributions-weekly": function (s) {
      var rows = s.contributions.weekly, kinds = s.kinds;
      return {type: "bar", data: {
        labels: rows.map(function (r) { return r.week; }),
        datasets: kinds.map(function (kind, i) {
          return barSeries(s.labels.kind[kind], rows.map(function (r) { return r.by_kind[kind]; }), i);
        })},
        options: {plugins: legend(true), scales: {x: Object.assign({stacked: true}, weekAxis),
                                                 y: countAxis(_("Submissions"), true)}}};
    },
    "moderation-latency": function (s) {
      var rows = s.moderation.latency.weekly;
      return {type: "line", data: {
        labels: rows.map(function (r) { return r.week; }),
        datasets: [lineSeries(_("Median (p50)"), rows.map(function (r) { return r.p50_minutes; }), 0),
                   lineSeries(_("90th percentile (p90)"), rows.map(function (r) { return r.p90_minutes; }), 1)]},
        options: {plugins: legend(true, true), scales: {x: weekAxis, y: countAxis(_("Minutes"))}}};
    },
    "queue": function (s) {
      var kinds = s.kinds;
      return {type: "bar", data: {
        labels: kinds.map(function (k) { return s.labels.kind[k]; }),
        datasets: [barSeries(_("Pending"), kinds.map(function (k) { return s.moderation.queue.by_kind[k]; }), 0)]},
        options: {plugins: legend(false), scales: {y: countAxis(_("Pending"))}}};
    }
  };

  function draw(stats) {
    Array.prototype.forEach.call(page.querySelectorAll("canvas[data-figure]"), function (canvas) {
      var build = FIGURES[canvas.dataset.figure];
      if (build) { new Chart(canvas, build(stats)); }
    });
    page.setAttribute("data-charts", "drawn");
  }

  fetch(page.dataset.statsApi, {headers: {"Accept": "application/json"}})
    .then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    })
    .then(draw)
    .catch(function () {
      // The tables carry every number; without charts the page still says everything.
      page.setAttribute("data-charts", "failed");
    });
})();
