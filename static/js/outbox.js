/* StepFree's outbox: answers given without a connection wait on the phone (localStorage) and are sent once it
 * is back. The map and /check share it, so an answer kept on one page is sent from either.
 * An item leaves the outbox only when the server has answered it: a page closed half-way loses nothing.
 * Every change is announced as a "stepfree:outbox" event on window, so a page can show what waits, and every
 * final answer to a kept item as "stepfree:outbox-answered" (detail: {item, status}), whoever sent it. */
(function () {
  "use strict";

  var KEY = "stepfree-outbox";
  var flushing = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // POST a JSON body to the API. Resolves to {status, data} for any answer (data is {} when the body is empty,
  // as for a 204); rejects only when the request could not be made at all (no connection).
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
                       body: JSON.stringify(body)})
      .then(function (r) {
        return r.text().then(function (text) {
          var data = {};
          try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
          return {status: r.status, data: data};
        });
      });
  }

  function read() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }

  function write(items) {
    localStorage.setItem(KEY, JSON.stringify(items));
    window.dispatchEvent(new CustomEvent("stepfree:outbox", {detail: {count: items.length}}));
  }

  function newId() { return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10); }

  // `label` says what the answer was about (a place's name), for the message when it is finally sent.
  function keep(url, body, label) {
    var items = read();
    items.push({id: newId(), url: url, body: body, label: label || null});
    write(items);
  }

  function count() { return read().length; }

  // The visitor gives up on what waits (an answer they no longer trust, a place they added by mistake).
  function discard() { write([]); }

  function remove(id) { write(read().filter(function (item) { return item.id !== id; })); }

  // A busy or failing server is asked again later, like a missing connection; any other answer is final.
  function tryLater(status) { return status === 429 || status >= 500; }

  // Send what waits, oldest first, one at a time (a burst would run into the rate limit). `report(item, res)`
  // hears each final answer. Stops at the first answer that says to try later. Resolves when done.
  function flush(report) {
    if (flushing) { return flushing; }
    var items = read();
    if (!items.length) { return Promise.resolve(); }
    // Items kept by an older version of this script have no id yet.
    items.forEach(function (item) { item.id = item.id || newId(); });
    write(items);
    flushing = items.reduce(function (chain, item) {
      return chain.then(function (stop) {
        if (stop) { return true; }
        // Discarded while the ones before it were on their way: not sent.
        if (!read().some(function (kept) { return kept.id === item.id; })) { return false; }
        return post(item.url, item.body).then(function (res) {
          if (tryLater(res.status)) { return true; }
          remove(item.id);
          report(item, res);
          window.dispatchEvent(new CustomEvent("stepfree:outbox-answered", {detail: {item: item, status: res.status}}));
          return false;
        }, function () { return true; });
      });
    }, Promise.resolve(false)).then(done, done);
    function done() { flushing = null; }
    return flushing;
  }

  window.StepFree = window.StepFree || {};
  window.StepFree.outbox = {post: post, keep: keep, count: count, flush: flush, discard: discard};
})();
