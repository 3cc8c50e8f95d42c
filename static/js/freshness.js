/* When a place was last checked, in words ("Checked 3 years ago"), for the map's sheet and /check.
 * Only the largest whole unit is said, as app/timefmt.py says it on the place page. The words are the page's
 * language (StepFree.i18n): Intl.RelativeTimeFormat says "3 years ago", "vor 3 Jahren", "il y a 3 ans". */
(function () {
  "use strict";

  var i18n = window.StepFree.i18n, _ = i18n._;
  var UNITS = [["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400], ["day", 86400],
               ["hour", 3600], ["minute", 60]];
  var words = new Intl.RelativeTimeFormat(i18n.locale, {numeric: "always"});

  // "3 years ago" for an ISO 8601 time; "just now" under a minute or a moment ahead of this phone's clock.
  function ago(iso) {
    var seconds = (Date.now() - Date.parse(iso)) / 1000;
    for (var i = 0; i < UNITS.length; i += 1) {
      var count = Math.floor(seconds / UNITS[i][1]);
      if (count >= 1) { return words.format(-count, UNITS[i][0]); }
    }
    return _("just now");
  }

  function checked(iso) { return iso ? _("Checked %(ago)s", {ago: ago(iso)}) : _("Never checked by a volunteer"); }

  function longDate(iso) {
    return new Date(iso).toLocaleDateString(i18n.locale, {year: "numeric", month: "long", day: "numeric"});
  }

  window.StepFree = window.StepFree || {};
  window.StepFree.freshness = {ago: ago, checked: checked, longDate: longDate};
})();
