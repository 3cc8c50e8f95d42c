/* Registers StepFree's service worker (served by /sw.js), which keeps the app and the places last seen for use
 * without a connection. A new version's worker takes over by itself; the page goes on running its scripts and
 * gets the new ones at its next load, so an update never reloads under a volunteer's thumb. */
(function () {
  "use strict";
  // Installed from the map, the app's start page (the one with the waiting answers bar): its loading has just
  // put the files the worker keeps in the HTTP cache. Every other page is controlled once the worker is there.
  if (!("serviceWorker" in navigator) || !document.getElementById("outbox-bar")) { return; }
  var controlled = !!navigator.serviceWorker.controller;

  // On a first visit the places were asked for before any worker was there to keep them: hand it their URLs,
  // so that this very visit, not only the next, opens offline.
  function keepWhatLoaded(registration) {
    if (controlled || !registration.active) { return; }
    var urls = performance.getEntriesByType("resource").map(function (entry) { return entry.name; })
      .filter(function (url) { return new URL(url).pathname.indexOf("/api/places") === 0; });
    if (urls.length) { registration.active.postMessage({keep: urls}); }
  }

  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(keepWhatLoaded).catch(function () {
      // Without a worker the site works as before, only not offline: nothing to tell the visitor.
    });
  });
})();
