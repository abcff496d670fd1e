/* runreport page script: one namespace (RunReport), no framework, no request to another host.
 *
 * The script is written in parts by concern (assets/js/NN-<concern>.js): the
 * build joins them in name order into one file, assets/runreport.js of the
 * site, so every part shares this function's scope and the page loads one
 * classic script (module scripts do not load from file://). This part holds
 * the state, loading, and the small helpers every other part uses.
 *
 * Values are not in the pages' HTML: they live in data files under data/ that
 * are loaded with <script> elements (fetch() of local files is refused on
 * file://). Each data file makes one call, RunReport.receive(src, payload),
 * where src is its own path relative to the site root. See
 * docs/site-internals.md for the payload shapes.
 *
 * Untrusted text only ever reaches the page through textContent and
 * attributes; the only HTML inserted is what the build rendered: the log
 * fragment of a run (escaped by the template engine) and Markdown already
 * rendered safely (raw HTML off, unsafe links dropped).
 */
(function () {
  "use strict";

  var RunReport = (window.RunReport = window.RunReport || {});

  var LOAD_TIMEOUT_MS = 15000; // a data file that neither loads nor fails in time is reported
  var lastReceived = 0; // when some data file last delivered (loads in progress are not slow)
  var ARRAY_STEP = 20; // array items shown at once in the UI view
  var KEY_STEP = 100; // object keys shown at once in the UI view (huge objects stay quick)
  var LIST_STEP = 100; // matching runs shown at once in a filtered listing
  var FILTERS = ["errors", "rejected"];
  var OWN_STATUS = { errors: "error", rejected: "rejected" };

  var received = Object.create(null);
  var pending = Object.create(null);
  var filter = {};
  var listToken = 0;
  var liveRegion = null;

  function root() {
    return document.body.getAttribute("data-root") || "";
  }

  // --- loading ------------------------------------------------------------

  /** Called by every data file: store its payload and wake whoever waits for it. */
  RunReport.receive = function (key, payload) {
    received[key] = payload;
    lastReceived = Date.now();
    var p = pending[key];
    if (p) p.resolve(payload);
  };

  /** Load one data file once; the promise rejects when it is missing, damaged or slow. */
  RunReport.load = function (src) {
    if (pending[src]) return pending[src].promise;
    var d = {};
    d.promise = new Promise(function (resolve, reject) {
      d.resolve = resolve;
      d.reject = reject;
    });
    pending[src] = d;
    if (src in received) {
      d.resolve(received[src]);
      return d.promise;
    }
    var script = document.createElement("script");
    var started = Date.now();
    // Slow only when nothing arrived for a while: a busy page loading many files (the
    // parts of a large run) keeps delivering, and the last of them is not late.
    var timer;
    var wait = function (ms) {
      timer = setTimeout(function () {
        var idle = Date.now() - Math.max(started, lastReceived);
        if (idle < LOAD_TIMEOUT_MS) wait(LOAD_TIMEOUT_MS - idle);
        else fail("did not load in time");
      }, ms);
    };
    wait(LOAD_TIMEOUT_MS);
    function fail(why) {
      clearTimeout(timer);
      if (!(src in received)) d.reject(new Error(src + " " + why));
    }
    script.onload = function () {
      // receive() runs while the script executes, so before onload.
      fail("is damaged (it did not deliver its data)");
    };
    script.onerror = function () {
      fail("is missing or could not be read");
    };
    script.async = true;
    script.src = root() + src;
    document.head.appendChild(script);
    return d.promise;
  };

  /**
   * The markup a log payload carries: base64 of raw DEFLATE (runreport/site/render.py,
   * packed_markup), unpacked by the browser. Resolves to the HTML; kept on the payload,
   * which stays cached for the page's life.
   */
  function logMarkup(p) {
    if (p.rrHtml) return p.rrHtml;
    var inflate;
    try {
      inflate = new DecompressionStream("deflate-raw"); // (Chromium < 103 knows only gzip/deflate)
    } catch (e) {
      return Promise.reject(new Error("cannot be unpacked by this browser (open the run page instead)"));
    }
    var bin = atob(p.html_packed);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(inflate);
    p.rrHtml = new Response(stream).text();
    return p.rrHtml;
  }

  function loadError(box, err) {
    box.textContent = "";
    var p = el("p", "load-error", "Could not show this data: " + err.message + ". The rest of the page still works.");
    p.setAttribute("role", "alert");
    box.appendChild(p);
  }

  // --- small DOM helpers -----------------------------------------------------

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** A decorative icon: `<span class="ic ic-NAME" aria-hidden="true">`. */
  function iconEl(name) {
    var icon = el("span", "ic ic-" + name);
    icon.setAttribute("aria-hidden", "true");
    return icon;
  }

  /** A run's status, icon and text, as the status macro (templates/macros.html) writes it. */
  function statusEl(status, label) {
    var s = el("span", "status st-" + status);
    s.appendChild(iconEl(status));
    s.appendChild(document.createTextNode(label));
    return s;
  }

  function button(act, text, cls) {
    var b = el("button", cls || "", text);
    b.type = "button";
    b.setAttribute("data-act", act);
    return b;
  }

  function announce(text) {
    if (!liveRegion) return;
    liveRegion.textContent = "";
    setTimeout(function () {
      liveRegion.textContent = text;
    }, 30);
  }

  function formatCount(n) {
    return formatNumber(n) + (n === 1 ? " run" : " runs");
  }

  function formatNumber(n) {
    return (+n).toLocaleString("en-US");
  }

  // --- times -------------------------------------------------------------------

  function localTimes(scope) {
    var nodes = scope.querySelectorAll("time[datetime]:not([data-local])");
    for (var i = 0; i < nodes.length; i++) {
      var t = nodes[i];
      var d = new Date(t.getAttribute("datetime"));
      if (!t.getAttribute("datetime") || isNaN(d.getTime())) continue;
      t.setAttribute("data-local", "");
      t.title = t.textContent;
      // The reader's own time, with its zone named: without the script the page says UTC.
      t.textContent = d.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
      });
    }
  }

  // --- copy ----------------------------------------------------------------------

  function copyFallback(text) {
    var ta = el("textarea", "offscreen");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.setAttribute("aria-hidden", "true");
    var host = document.querySelector("dialog[open]") || document.body;
    host.appendChild(ta);
    ta.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    host.removeChild(ta);
    return ok;
  }

  /** Copy text: the async Clipboard API when allowed, else execCommand (file://, old browsers). */
  RunReport.copy = function (text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyFallback(text); }
      );
    }
    return Promise.resolve(copyFallback(text));
  };

  function copyFrom(btn, text) {
    RunReport.copy(text).then(function (ok) {
      var label = btn.firstChild;
      var before = label.nodeValue;
      label.nodeValue = ok ? "Copied" : "Copy failed";
      announce(ok ? "Copied to the clipboard" : "Could not copy");
      setTimeout(function () { label.nodeValue = before; }, 1500);
    });
  }

