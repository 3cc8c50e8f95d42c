/* The scripts' words in the page's language. /i18n/<code>.js (app/i18n.py), loaded just before this file,
 * holds the catalog: the translated messages and the language's plural rule. Without it, English.
 *   var _ = StepFree.i18n._, ngettext = StepFree.i18n.ngettext;
 *   _("Saved. Thank you!")                          a sentence
 *   _("%(name)s is accessible.", {name: place})     with a value (always %(name)s, as in Python)
 *   ngettext("%(num)s answer waits.", "%(num)s answers wait.", count, {num: count})
 * The English text is the key, as in the templates and in Python: one catalog for all three (babel.cfg). */
(function () {
  "use strict";

  var catalog = (window.StepFree && window.StepFree.catalog) ||
                {locale: "en", dir: "ltr", messages: {}, plural: function (n) { return n === 1 ? 0 : 1; }};

  function fill(text, params) {
    if (!params) { return text; }
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  function gettext(message, params) {
    var found = catalog.messages[message];
    return fill(typeof found === "string" ? found : message, params);
  }

  function ngettext(singular, plural, n, params) {
    var forms = catalog.messages[singular];
    var text = Array.isArray(forms) ? forms[catalog.plural(n)] : (n === 1 ? singular : plural);
    return fill(text === undefined ? plural : text, params);
  }

  // Numbers as the language writes them (1.234 in German, ١٬٢٣٤ in Arabic).
  var numbers = new Intl.NumberFormat(catalog.locale);

  window.StepFree = window.StepFree || {};
  window.StepFree.i18n = {_: gettext, ngettext: ngettext, locale: catalog.locale, dir: catalog.dir,
                          number: function (n) { return numbers.format(n); }};
})();
