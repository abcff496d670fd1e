/* runreport page script: one namespace (RunReport), no framework, no request to another host.
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

  // --- values: UI and Raw views ------------------------------------------------

  function escapePointer(key) {
    return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
  }

  /**
   * The UI view of `v` (at JSON pointer `ptr`; `md`: rendered Markdown by pointer).
   * `at`, for a value whose bulk is in chunk files: {ptr, draw} draws the node at
   * `at.ptr` (a path through objects) in place of what `v` holds there.
   */
  function uiValue(v, ptr, md, at) {
    if (at && ptr === at.ptr) return at.draw();
    if (typeof v === "string") {
      if (Object.prototype.hasOwnProperty.call(md, ptr)) {
        var box = el("div", "md");
        box.innerHTML = md[ptr]; // rendered at build time: raw HTML off, unsafe links dropped
        return box;
      }
      return el("span", "str", v === "" ? '""' : v);
    }
    if (v === null || typeof v !== "object") return el("span", "scalar", JSON.stringify(v));
    if (Array.isArray(v)) {
      if (!v.length) return el("span", "scalar", "[]");
      var ol = el("ol", "items");
      var shown = 0;
      // A list may hold only <li>: Load more follows it (both go in a fragment).
      var out = ol;
      var more = null;
      var reveal = function () {
        var end = Math.min(v.length, shown + ARRAY_STEP);
        for (; shown < end; shown++) {
          var li = el("li");
          li.appendChild(uiValue(v[shown], ptr + "/" + shown, md));
          ol.appendChild(li);
        }
        if (shown < v.length) {
          if (!more) {
            more = button("more", "", "more");
            more.rrMore = reveal;
            out = document.createDocumentFragment();
            out.appendChild(ol);
            out.appendChild(more);
          }
          more.textContent = "Load more (" + (v.length - shown) + " more items)";
        } else if (more && more.parentNode) {
          more.parentNode.removeChild(more);
        }
      };
      reveal();
      return out;
    }
    var keys = Object.keys(v);
    if (!keys.length) return el("span", "scalar", "{}");
    var table = el("table", "kv");
    var tbody = el("tbody");
    table.appendChild(tbody);
    var done = 0;
    var wrap = null;
    var moreKeys = null;
    var revealKeys = function () {
      var end = Math.min(keys.length, done + KEY_STEP);
      for (; done < end; done++) {
        var tr = el("tr");
        var th = el("th", "", keys[done]);
        th.scope = "row";
        var td = el("td");
        td.appendChild(uiValue(v[keys[done]], ptr + "/" + escapePointer(keys[done]), md, at));
        tr.appendChild(th);
        tr.appendChild(td);
        tbody.appendChild(tr);
      }
      if (moreKeys) moreKeys.textContent = "Load more (" + (keys.length - done) + " more keys)";
      if (moreKeys && done >= keys.length) moreKeys.parentNode.removeChild(moreKeys);
    };
    if (keys.length > KEY_STEP) {
      wrap = el("div", "kv-wrap");
      wrap.appendChild(table);
      moreKeys = button("more", "", "more");
      moreKeys.rrMore = revealKeys;
      wrap.appendChild(moreKeys);
    }
    revealKeys();
    return wrap || table;
  }

  // The Raw view: a JSON tree of nested <details>, one line per key or item, whose
  // text (all open) is exactly JSON.stringify(value, null, 2): selecting it copies
  // JSON. Its Copy button copies the exact JSON text. A value of more lines than
  // RAW_TREE_LINES is shown as that text instead: a tree of it would take seconds.

  var RAW_TREE_LINES = 10000;

  function lineCount(text) {
    var n = 1;
    for (var i = text.indexOf("\n"); i >= 0 && n <= RAW_TREE_LINES; i = text.indexOf("\n", i + 1)) n++;
    return n;
  }

  function rawValue(v, text) {
    if (text === undefined) text = JSON.stringify(v, null, 2);
    if (text === undefined) text = "undefined";
    if (lineCount(text) > RAW_TREE_LINES) {
      var box = rawBox(text, text);
      box.querySelector("pre").classList.add("long");
      box.insertBefore(el("p", "note", "A large value: shown as its JSON text."), box.firstChild);
      return box;
    }
    var wrap = rawBox(null, text);
    var tree = el("div", "raw json-tree");
    tree.appendChild(jsonNode(null, v, true, ""));
    wrap.appendChild(tree);
    return wrap;
  }

  /** One line of the tree: indentation, an optional "key": prefix, then `parts`. */
  function jsonLine(tag, indent, key, parts) {
    // jd<depth>: a wrapped line continues under its own text, not at the margin.
    var line = el(tag, "jt-line jd" + Math.min(indent.length / 2, 12));
    line.appendChild(document.createTextNode(indent));
    if (tag === "summary") line.appendChild(el("span", "jt-tw")).setAttribute("aria-hidden", "true");
    if (key !== null) {
      line.appendChild(el("span", "jt-key", JSON.stringify(key)));
      line.appendChild(document.createTextNode(": "));
    }
    for (var i = 0; i < parts.length; i++) line.appendChild(typeof parts[i] === "string" ? document.createTextNode(parts[i]) : parts[i]);
    return line;
  }

  function jsonScalar(v) {
    var kind = v === null ? "null" : typeof v === "string" ? "str" : typeof v === "number" ? "num" : "bool";
    var text = JSON.stringify(v);
    return el("span", "jt-" + kind, text === undefined ? "null" : text);
  }

  function jsonNode(key, v, last, indent) {
    var comma = last ? "" : ",";
    if (v === null || typeof v !== "object") return jsonLine("div", indent, key, [jsonScalar(v), comma]);
    var isArray = Array.isArray(v);
    var keys = isArray ? null : Object.keys(v);
    var n = isArray ? v.length : keys.length;
    var open = isArray ? "[" : "{", close = isArray ? "]" : "}";
    if (!n) return jsonLine("div", indent, key, [open + close + comma]);
    var node = el("details", "jt");
    node.open = true;
    var fold = el("span", "jt-fold", "\u2026" + close + comma + " ");
    fold.appendChild(el("span", "jt-count", n.toLocaleString("en-US") + (isArray ? (n === 1 ? " item" : " items") : (n === 1 ? " key" : " keys"))));
    node.appendChild(jsonLine("summary", indent, key, [open, fold]));
    var kids = node.appendChild(el("div", "jt-kids"));
    var inner = indent + "  ";
    for (var i = 0; i < n; i++) {
      kids.appendChild(isArray ? jsonNode(null, v[i], i === n - 1, inner)
                               : jsonNode(keys[i], v[keys[i]], i === n - 1, inner));
    }
    node.appendChild(jsonLine("div", indent, null, [close + comma]));
    return node;
  }

  /** The Raw view's box: its Copy button copies `text`; `pre` text (partly loaded values) when given. */
  function rawBox(preText, text) {
    var wrap = el("div", "raw-view");
    var copy = button("copy-raw", "Copy", "copy");
    copy.appendChild(el("span", "sr", " raw JSON"));
    if (text !== undefined) copy.rrText = text;
    wrap.appendChild(copy);
    if (preText !== null) wrap.appendChild(el("pre", "raw", preText));
    return wrap;
  }

  // --- values: large values in chunk files ---------------------------------------
  //
  // A SECTION of {"chunks": {mode, src, bytes, total, count?, items?, path?, shell?, md?}}
  // has its value in chunk files (see runreport/site/chunks.py). "items" chunks hold
  // whole array items: of the value itself, or, with `path`, of the array at that
  // path in `shell` (the rest of the value, shipped in the descriptor), where the
  // UI view shows them in place. "text" chunks hold pieces of the compact JSON,
  // shown indented as they arrive and as the whole value once they are all in.
  // The first chunk is loaded when the section is shown; Load more loads the next
  // one (the UI view of an array reveals ARRAY_STEP items at a time and loads
  // chunks as it needs them).

  function formatBytes(n) {
    if (n < 1000) return n + " B";
    if (n < 1e6) return (n / 1e3).toFixed(1) + " kB";
    return (n / 1e6).toFixed(1) + " MB";
  }

  function chunkState(desc) {
    var st = { desc: desc, loaded: 0, bytes: 0, items: [], text: [], pretty: [], md: {}, shown: ARRAY_STEP,
               indent: { depth: 0, str: false, esc: false, open: false },
               ptr: (desc.path || []).map(function (k) { return "/" + escapePointer(k); }).join(""),
               loading: null, error: null, value: undefined };
    if (desc.md) for (var ptr in desc.md) if (Object.prototype.hasOwnProperty.call(desc.md, ptr)) st.md[ptr] = desc.md[ptr];
    return st;
  }

  function chunksDone(st) {
    return st.loaded >= st.desc.src.length;
  }

  /** `value` with the array at `path` replaced by `items` (objects on the path copied). */
  function withItems(value, path, items) {
    if (!path || !path.length) return items;
    var out = {};
    for (var k in value) if (Object.prototype.hasOwnProperty.call(value, k)) out[k] = value[k];
    out[path[0]] = withItems(value[path[0]], path.slice(1), items);
    return out;
  }

  /** What of an "items" value is loaded: its items, in place in the shell when there is one. */
  function loadedValue(st) {
    return withItems(st.desc.shell, st.desc.path, st.items);
  }

  /**
   * Indent a piece of compact JSON text the way JSON.stringify(value, null, 2) lays
   * it out, so a partly loaded value reads like the whole one will; `ind` carries
   * the state (depth, inside a string, after an opening bracket) to the next piece.
   */
  function indentPiece(ind, text) {
    var out = [];
    var from = 0; // start of the run of characters copied as they are
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (ind.str) {
        if (ind.esc) ind.esc = false;
        else if (c === "\\") ind.esc = true;
        else if (c === '"') ind.str = false;
        continue;
      }
      if (ind.open) { // the character before opened an object or array
        ind.open = false;
        if (c === "}" || c === "]") { ind.depth--; continue; } // {} and [] stay as they are
        out.push(text.slice(from, i), "\n" + "  ".repeat(ind.depth));
        from = i;
      }
      if (c === '"') {
        ind.str = true;
      } else if (c === "{" || c === "[") {
        ind.depth++;
        ind.open = true;
      } else if (c === "}" || c === "]") {
        ind.depth = Math.max(0, ind.depth - 1);
        out.push(text.slice(from, i), "\n" + "  ".repeat(ind.depth) + c);
        from = i + 1;
      } else if (c === ",") {
        out.push(text.slice(from, i), ",\n" + "  ".repeat(ind.depth));
        from = i + 1;
      } else if (c === ":") {
        out.push(text.slice(from, i), ": ");
        from = i + 1;
      }
    }
    out.push(text.slice(from));
    return out.join("");
  }

  /** Load the next chunk file of a section's value; resolves when it is in (or failed). */
  function loadChunk(st) {
    if (st.loading) return st.loading;
    if (st.error || chunksDone(st)) return Promise.resolve();
    var i = st.loaded;
    var src = st.desc.src[i];
    st.loading = RunReport.load(src).then(function (part) {
      var items = st.desc.mode === "items";
      if (!part || (items && !Array.isArray(part.items)) ||
          (!items && typeof part.text !== "string" && !part.md)) {
        throw new Error(src + " is damaged (it holds no part of this value)");
      }
      if (items) for (var k = 0; k < part.items.length; k++) st.items.push(part.items[k]);
      else if (typeof part.text === "string") {
        st.text.push(part.text);
        st.pretty.push(indentPiece(st.indent, part.text));
      }
      if (part.md) for (var ptr in part.md) if (Object.prototype.hasOwnProperty.call(part.md, ptr)) st.md[ptr] = part.md[ptr];
      st.bytes += st.desc.bytes[i] || 0;
      st.loaded = i + 1;
      if (chunksDone(st)) {
        if (items) {
          st.value = loadedValue(st);
        } else {
          try {
            st.value = JSON.parse(st.text.join(""));
          } catch (e) {
            throw new Error("the chunks of this value do not join into JSON (" + e.message + ")");
          }
          st.text = []; // the views show the parsed value from now on
          st.pretty = [];
        }
      }
    }).then(
      function () { st.loading = null; },
      function (err) { st.loading = null; st.error = err; }
    );
    return st.loading;
  }

  /** The whole value of a section, or undefined until every chunk is in. */
  function fullValue(sec) {
    var data = sec.rrData;
    if (!data) return undefined;
    if (!data.chunks) return { value: data.value };
    var st = sec.rrChunks;
    if (!st || st.error || !chunksDone(st)) return undefined;
    return { value: st.value };
  }

  function drawChunked(sec, body, raw) {
    var st = sec.rrChunks;
    var d = st.desc;
    var whole = chunksDone(st) && !st.error;
    if (d.mode === "items") {
      if (raw) {
        if (!whole) {
          body.appendChild(el("p", "note", "Partly loaded: the JSON below holds the first " +
            st.items.length.toLocaleString("en-US") + " of " + d.count.toLocaleString("en-US") +
            " items" + (st.ptr ? " at " + st.ptr : "") + "; the rest is not in it yet."));
        }
        body.appendChild(rawValue(whole ? st.value : loadedValue(st)));
        body.appendChild(chunkControl(sec, raw));
      } else if (st.ptr) {
        // The shell as usual, with the loaded items (and the chunks' control) at the path.
        body.appendChild(uiValue(d.shell, "", st.md, {
          ptr: st.ptr, draw: function () { return chunkedList(sec, raw); },
        }));
      } else {
        body.appendChild(chunkedList(sec, raw));
      }
    } else if (whole) {
      body.appendChild(raw ? rawValue(st.value) : uiValue(st.value, "", st.md));
      body.appendChild(chunkControl(sec, raw));
    } else {
      body.appendChild(el("p", "note", raw ? "Partly loaded: the JSON text so far is shown." :
        "Partly loaded: the raw text so far is shown; the UI view appears once the whole value is loaded."));
      var box = rawBox("");  // the text so far, shown as it arrives
      var pre = box.querySelector("pre");
      pre.classList.add("long");
      for (pre.rrPieces = 0; pre.rrPieces < st.pretty.length; pre.rrPieces++) pre.appendChild(document.createTextNode(st.pretty[pre.rrPieces]));
      body.appendChild(box);
      body.appendChild(chunkControl(sec, raw));
    }
  }

  /** The UI view's list of an "items" value: the items shown so far, then the chunks' control. */
  function chunkedList(sec, raw) {
    var st = sec.rrChunks;
    var out = document.createDocumentFragment();
    if (!st.desc.count) {
      out.appendChild(el("span", "scalar", "[]"));
    } else {
      var ol = el("ol", "items");
      var n = Math.min(st.shown, st.items.length);
      for (var i = 0; i < n; i++) {
        var li = el("li");
        li.appendChild(uiValue(st.items[i], st.ptr + "/" + i, st.md));
        ol.appendChild(li);
      }
      out.appendChild(ol);
    }
    out.appendChild(chunkControl(sec, raw));
    return out;
  }

  function chunkControl(sec, raw) {
    var st = sec.rrChunks;
    var d = st.desc;
    var box = el("div", "chunks");
    var parts = [];
    var showing = d.mode === "items" ? (raw ? st.items.length : Math.min(st.shown, st.items.length)) : 0;
    if (d.mode === "items") parts.push(showing.toLocaleString("en-US") + " of " + d.count.toLocaleString("en-US") + " items shown");
    parts.push(formatBytes(st.bytes) + " of " + formatBytes(d.total) + " loaded");
    var status = el("span", "chunk-status", parts.join(" · "));
    status.setAttribute("data-loaded-bytes", String(st.bytes));
    status.setAttribute("data-total-bytes", String(d.total));
    box.appendChild(status);
    if (st.error) {
      var p = el("p", "load-error", "Could not load the rest of this value: " + st.error.message +
        ". What was loaded is shown; the rest of the page still works.");
      p.setAttribute("role", "alert");
      box.appendChild(p);
    } else if (st.loading) {
      box.appendChild(el("span", "note", " Loading…"));
    } else if (d.mode === "items" && !raw ? showing < d.count : !chunksDone(st)) {
      var more = button("more", "Load more", "more");
      more.rrMore = function () {
        if (d.mode === "items" && !raw) st.shown += ARRAY_STEP;
        fillChunks(sec, raw);
      };
      box.appendChild(more);
    }
    return box;
  }

  /** Load chunks until the view has what it shows (one more chunk for text and Raw). */
  function fillChunks(sec, raw) {
    var st = sec.rrChunks;
    var target = st.loaded + 1;
    function step() {
      var want = st.desc.mode === "items" && !raw ? st.items.length < st.shown : st.loaded < target;
      if (!want || st.error || chunksDone(st)) return updateChunked(sec, raw);
      var loading = loadChunk(st);
      updateChunked(sec, raw); // shows "Loading…" in place of the button
      loading.then(step);
    }
    step();
  }

  /**
   * Bring a chunked section up to date without redrawing what it already shows:
   * re-laying out megabytes of text on every Load more would make the page crawl.
   */
  function updateChunked(sec, raw) {
    var st = sec.rrChunks;
    var body = sec.querySelector(".sec-body");
    var control = body && body.querySelector(".chunks"); // one per section: after the list, or last
    var partialText = st.desc.mode === "text" && !(chunksDone(st) && !st.error);
    var list = control && st.desc.mode === "items" && !raw ? control.previousElementSibling : null;
    if (list && !list.matches("ol.items")) list = null;
    if (!control || (!partialText && !list)) return drawSection(sec);
    if (partialText) {
      var pre = body.querySelector(":scope > .raw-view pre");
      if (!pre) return drawSection(sec);
      for (; pre.rrPieces < st.pretty.length; pre.rrPieces++) pre.appendChild(document.createTextNode(st.pretty[pre.rrPieces]));
    } else {
      var n = Math.min(st.shown, st.items.length);
      for (var i = list.children.length; i < n; i++) {
        var li = el("li");
        li.appendChild(uiValue(st.items[i], st.ptr + "/" + i, st.md));
        list.appendChild(li);
      }
    }
    var focused = control.contains(document.activeElement);
    var fresh = chunkControl(sec, raw);
    control.parentNode.replaceChild(fresh, control);
    offerSave(sec);
    var more = fresh.querySelector(".more");
    if (focused && more) more.focus();
  }

  function sectionData(sec) {
    var holder = sec.closest("[data-v]");
    var dir = sec.closest("[data-dir]");
    if (!holder || !dir) return Promise.reject(new Error("no data file is named for this section"));
    var src = dir.getAttribute("data-dir") + "v-" + holder.getAttribute("data-v") + ".js";
    var key = sec.getAttribute("data-section");
    return RunReport.load(src).then(function (payload) {
      var found;
      if (sec.hasAttribute("data-run-section")) {
        found = payload.run && payload.run[key];
      } else {
        // (A log entry's key is its id; a Library variable names its own with data-key.)
        var entry = payload.entries && payload.entries[holder.getAttribute("data-key") || holder.getAttribute("data-entry-id")];
        found = entry && entry.sections && entry.sections[key];
        if (entry && entry.save) sec.rrSave = entry.save;
      }
      if (!found) throw new Error(src + " has no " + key + " value for this entry");
      return found;
    });
  }

  /** Add a section's UI / Raw buttons and its body the first time it is needed. */
  function sectionParts(sec) {
    var body = sec.querySelector(".sec-body");
    if (body) return body;
    var label = sec.querySelector("[data-act=section]");
    var views = el("span", "views");
    views.setAttribute("role", "group");
    views.setAttribute("aria-label", label.textContent + " view");
    var ui = button("view", "UI");
    ui.setAttribute("data-view", "ui");
    ui.setAttribute("aria-pressed", "true");
    var raw = button("view", "Raw");
    raw.setAttribute("data-view", "raw");
    raw.setAttribute("aria-pressed", "false");
    views.appendChild(ui);
    views.appendChild(raw);
    sec.appendChild(views);
    body = el("div", "sec-body");
    body.hidden = label.getAttribute("aria-expanded") !== "true";
    sec.appendChild(body);
    return body;
  }

  function drawSection(sec) {
    var body = sectionParts(sec);
    var data = sec.rrData;
    if (!data) return;
    var raw = sec.querySelector('[data-view="raw"]').getAttribute("aria-pressed") === "true";
    var active = document.activeElement;
    var refocus = active && body.contains(active) && active.classList.contains("more");
    body.textContent = "";
    if (data.chunks) drawChunked(sec, body, raw);
    else body.appendChild(raw ? rawValue(data.value) : uiValue(data.value, "", data.md || {}));
    offerSave(sec);
    if (refocus) {
      var more = body.querySelector(".chunks .more") || body.querySelector(".more");
      if (more) more.focus();
    }
  }

  function showSection(sec) {
    if (sec.rrData) return drawSection(sec);
    if (sec.rrLoading) return;
    sec.rrLoading = true;
    var body = sectionParts(sec);
    body.textContent = "Loading…";
    sectionData(sec).then(
      function (data) {
        sec.rrData = data;
        if (data.chunks) {
          sec.rrChunks = chunkState(data.chunks);
          return loadChunk(sec.rrChunks).then(function () { drawSection(sec); });
        }
        drawSection(sec);
      },
      function (err) {
        loadError(body, err);
      }
    );
  }

  // What every entry has alike is not in the page's HTML: an entry names its
  // sections in data-sec (labels are fixed per key) and its summary rows get
  // their Copy buttons here, the first time the entry is opened.
  var SECTION_LABELS = { input: "Step Input", output: "Step Output", error: "Error",
                         iteration: "Iteration Data", other: "Other fields" };

  /** Add an entry's section toggles and Copy buttons (once); `states`: aria-expanded by key. */
  function entryParts(entry, states) {
    if (entry.rrParts) return;
    entry.rrParts = true;
    var details = entry.querySelector(":scope > details");
    if (!details) return;
    var dds = details.querySelectorAll(":scope > dl > dd");
    for (var i = 0; i < dds.length; i++) {
      var label = dds[i].previousElementSibling ? dds[i].previousElementSibling.textContent : "";
      var copy = button("copy", "Copy", "copy");
      copy.appendChild(el("span", "sr", " " + label));
      dds[i].appendChild(copy);
    }
    var keys = (entry.getAttribute("data-sec") || "").split(" ").filter(Boolean);
    var before = details.querySelector(":scope > noscript");
    for (i = 0; i < keys.length; i++) {
      var sec = el("div", "sec");
      sec.setAttribute("data-section", keys[i]);
      var toggle = sec.appendChild(button("section", SECTION_LABELS[keys[i]] || keys[i], "sec-toggle"));
      var state = states && states[keys[i]];
      toggle.setAttribute("aria-expanded", state || (keys.length === 1 ? "true" : "false"));
      details.insertBefore(sec, before);
    }
  }

  function showOpenSections(scope) {
    if (scope.matches("li.entry")) entryParts(scope);
    var secs = scope.querySelectorAll(".sec");
    for (var i = 0; i < secs.length; i++) {
      sectionParts(secs[i]);
      if (secs[i].querySelector("[data-act=section]").getAttribute("aria-expanded") === "true") showSection(secs[i]);
    }
  }

  // --- Save Output to Library: the dialog ----------------------------------------
  //
  // Offered on an entry's Step Output once the whole value is loaded. On a static
  // site it shows the `runreport library save` command and a download of the test
  // case file that save would write (merged here exactly like
  // runreport.library.test_case_json). Under `runreport serve` (the page then has
  // <meta name="runreport-live-token">) its Save button asks the server to save;
  // the server reads the value from the run log itself.

  var SAVE_DATA = "data/save.js";
  var NEW = "\u0000new";
  var NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;
  var SEGMENT_RE = /^[A-Za-z0-9_-]+$/;
  var save = null; // the dialog's state, built on first use

  function offerSave(sec) {
    if (sec.getAttribute("data-section") !== "output" || !sec.closest("li.entry[data-entry-id]")) return;
    if (sec.querySelector("[data-act=save-output]") || fullValue(sec) === undefined) return;
    var b = button("save-output", "Save Output to Library", "save-output");
    sec.insertBefore(b, sec.querySelector(".sec-body"));
  }

  /** The default variable path of a step (as runreport.library.default_variable_path). */
  RunReport.defaultVariablePath = function (stepName) {
    var slug = String(stepName).toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    slug = slug.slice(0, 100).replace(/_+$/, "") || "unnamed";
    return "step." + slug + ".output";
  };

  function validVarPath(path) {
    return path.length > 0 && path.length <= 200 && path.split(".").every(function (s) { return SEGMENT_RE.test(s); });
  }

  /** POSIX shell quoting, as Python's shlex.quote. */
  RunReport.shellQuote = function (s) {
    if (s === "") return "''";
    if (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(s)) return s;
    return "'" + s.replace(/'/g, "'\"'\"'") + "'";
  };

  // Python's float repr: exponent below 1e-4 and from 1e16, two-digit exponent at least.
  function pyNumber(n) {
    if (!isFinite(n)) throw new Error("value cannot be stored as JSON: " + n);
    if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
    var m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(n.toExponential());
    var sign = m[1], digits = m[2] + (m[3] || ""), exp = +m[4];
    if (exp >= -4 && exp < 16) {
      if (exp < 0) return sign + "0." + new Array(-exp).join("0") + digits;
      while (digits.length <= exp) digits += "0";
      return sign + digits.slice(0, exp + 1) + "." + (digits.slice(exp + 1) || "0");
    }
    var e = Math.abs(exp);
    return sign + m[2] + (m[3] ? "." + m[3] : "") + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + e;
  }

  // Python sorts keys by code point; JavaScript strings compare UTF-16 units.
  function unitRank(c) {
    return c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c;
  }
  function byCodePoint(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i), y = b.charCodeAt(i);
      if (x !== y) return unitRank(x) - unitRank(y);
    }
    return a.length - b.length;
  }

  /** JSON as Python's json.dumps(sort_keys=True, indent=2, ensure_ascii=False) writes it. */
  function pyDumps(v, ind) {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number") return pyNumber(v);
    if (typeof v === "string") return JSON.stringify(v);
    var inner = ind + "  ";
    var out = [];
    if (Array.isArray(v)) {
      if (!v.length) return "[]";
      for (var i = 0; i < v.length; i++) out.push(inner + pyDumps(v[i], inner));
      return "[\n" + out.join(",\n") + "\n" + ind + "]";
    }
    var keys = Object.keys(v).sort(byCodePoint);
    if (!keys.length) return "{}";
    for (var k = 0; k < keys.length; k++) out.push(inner + JSON.stringify(keys[k]) + ": " + pyDumps(v[keys[k]], inner));
    return "{\n" + out.join(",\n") + "\n" + ind + "}";
  }

  function copyObject(o) {
    var c = Object.create(null);
    for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) c[k] = o[k];
    return c;
  }

  /** The case file a save writes, byte for byte (runreport.library.test_case_json). */
  RunReport.testCaseJson = function (prompt, kase, varPath, value, source, existing, replace) {
    if (!NAME_RE.test(prompt)) throw new Error("invalid prompt name " + JSON.stringify(prompt) + ": use 1-100 letters, digits, '-', '_' or '.', not starting with '.'");
    if (!NAME_RE.test(kase)) throw new Error("invalid case name " + JSON.stringify(kase) + ": use 1-100 letters, digits, '-', '_' or '.', not starting with '.'");
    if (!validVarPath(varPath)) throw new Error("invalid variable path " + JSON.stringify(varPath) + ": use dot-separated segments of letters, digits, '_' or '-'");
    var base = existing == null ? { prompt: prompt, "case": kase, variables: {} } : existing;
    var variables = base.variables;
    if (!variables || typeof variables !== "object" || Array.isArray(variables)) throw new Error("test case " + prompt + "/" + kase + ": expected 'variables' to be an object");
    if (Object.prototype.hasOwnProperty.call(variables, varPath) && !replace) {
      throw new Error("variable " + JSON.stringify(varPath) + " already exists in test case " + prompt + "/" + kase + "; tick Replace to overwrite it, or choose another variable path");
    }
    var doc = copyObject(base);
    doc.prompt = prompt;
    doc["case"] = kase;
    var vars = copyObject(variables);
    vars[varPath] = { value: value, source: copyObject(source) };
    doc.variables = vars;
    return pyDumps(doc, "") + "\n";
  };

  function utcNow() {
    return new Date().toISOString().replace(/\.\d+Z$/, "Z");
  }

  function liveToken() {
    var meta = document.querySelector('meta[name="runreport-live-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  function field(id, label, control) {
    var box = el("div", "field");
    var l = el("label", "", label);
    l.htmlFor = id;
    control.id = id;
    box.appendChild(l);
    box.appendChild(control);
    return box;
  }

  function textInput() {
    var i = el("input");
    i.type = "text";
    i.spellcheck = false;
    i.autocomplete = "off";
    return i;
  }

  function buildDialog() {
    var d = el("dialog", "save-dialog");
    d.setAttribute("aria-labelledby", "rr-save-title");
    d.appendChild(el("h2", "", "Save Output to Library")).id = "rr-save-title";
    var what = d.appendChild(el("p", "save-what"));
    var s = { dialog: d, what: what, data: null, token: 0, url: null };
    s.varInput = textInput();
    d.appendChild(field("rr-save-var", "Variable path", s.varInput));
    s.prompt = el("select");
    d.appendChild(field("rr-save-prompt", "Prompt", s.prompt));
    s.promptNew = textInput();
    s.promptNewBox = d.appendChild(field("rr-save-prompt-new", "New prompt name", s.promptNew));
    s.kase = el("select");
    d.appendChild(field("rr-save-case", "Test case", s.kase));
    s.caseNew = textInput();
    s.caseNewBox = d.appendChild(field("rr-save-case-new", "New test case name", s.caseNew));
    s.replace = el("input");
    s.replace.type = "checkbox";
    var rep = d.appendChild(el("div", "field check"));
    rep.appendChild(s.replace);
    s.replace.id = "rr-save-replace";
    var rl = rep.appendChild(el("label", "", "Replace the variable if the test case already has it"));
    rl.htmlFor = "rr-save-replace";
    s.problem = d.appendChild(el("p", "load-error save-problem"));
    s.problem.setAttribute("role", "alert");
    s.problem.hidden = true;
    s.staticBox = d.appendChild(el("div", "save-static"));
    s.staticBox.appendChild(el("p", "", "Run this command where the site was built (it reads the run log itself):"));
    s.hint = s.staticBox.appendChild(el("p", "note save-hint", "Choose a prompt and a test case (or name new ones) to see the command."));
    var pre = s.staticBox.appendChild(el("pre", "save-command"));
    s.commandBox = pre;
    s.command = pre.appendChild(el("code"));
    s.command.id = "rr-save-command";
    var actions = s.staticBox.appendChild(el("p", "save-actions"));
    actions.appendChild(button("save-copy", "Copy command", "copy-command"));
    actions.appendChild(document.createTextNode(" "));
    s.download = actions.appendChild(el("a", "save-download", "Download test case JSON"));
    s.liveBox = d.appendChild(el("div", "save-live"));
    s.liveBox.appendChild(button("save-live", "Save", "save-live-button"));
    s.result = s.liveBox.appendChild(el("p", "save-result"));
    s.result.setAttribute("role", "status");
    var close = d.appendChild(el("p", "save-close"));
    close.appendChild(button("save-close", "Close"));
    // Problems are shown once the reader has changed something, never on opening.
    d.addEventListener("input", function () {
      s.touched = true;
      updateSave();
    });
    d.addEventListener("change", function (ev) {
      s.touched = true;
      if (ev.target === s.prompt) fillCases();
      updateSave();
    });
    d.addEventListener("close", function () {
      if (s.opener && document.contains(s.opener)) s.opener.focus();
    });
    document.body.appendChild(d);
    return s;
  }

  function option(value, text) {
    var o = el("option", "", text);
    o.value = value;
    return o;
  }

  function fillPrompts() {
    var prompts = (save.data && save.data.prompts) || [];
    var keep = save.prompt.value;
    save.prompt.textContent = "";
    var first = null;
    var known = false;
    for (var i = 0; i < prompts.length; i++) {
      save.prompt.appendChild(option(prompts[i].name, prompts[i].name));
      if (prompts[i].name === keep) known = true;
      if (!first && prompts[i].cases.length) first = prompts[i].name;
    }
    save.prompt.appendChild(option(NEW, "New prompt…"));
    // Keep a prompt chosen before (or "New…" the reader picked); else the first with cases.
    if (known || (keep === NEW && save.touched)) save.prompt.value = keep;
    else save.prompt.value = first || (prompts.length ? prompts[0].name : NEW);
    fillCases();
  }

  function chosenPrompt() {
    var prompts = (save.data && save.data.prompts) || [];
    for (var i = 0; i < prompts.length; i++) if (prompts[i].name === save.prompt.value) return prompts[i];
    return null;
  }

  function fillCases() {
    var p = chosenPrompt();
    var cases = p ? p.cases : [];
    save.kase.textContent = "";
    for (var i = 0; i < cases.length; i++) save.kase.appendChild(option(cases[i].name, cases[i].name));
    save.kase.appendChild(option(NEW, "New test case…"));
    save.kase.value = cases.length ? cases[0].name : NEW;
  }

  /** The dialog's current choice: names, flags and the case's library entry. */
  function choice() {
    var p = chosenPrompt();
    var promptName = save.prompt.value === NEW ? save.promptNew.value.trim() : save.prompt.value;
    var caseName = save.kase.value === NEW ? save.caseNew.value.trim() : save.kase.value;
    var known = null;
    if (p) for (var i = 0; i < p.cases.length; i++) if (p.cases[i].name === caseName) known = p.cases[i];
    return {
      prompt: promptName, kase: caseName, varPath: save.varInput.value.trim(),
      create: !p || !known, replace: save.replace.checked, known: known,
    };
  }

  function saveCommand(c) {
    var q = RunReport.shellQuote;
    var t = save.target;
    var parts = ["runreport", "library", "save", "--run", q(t.runId), "--entry", q(t.entryId),
                 "--prompt", q(c.prompt), "--case", q(c.kase)];
    if (c.varPath !== t.defaultPath) parts.push("--var", q(c.varPath));
    if (c.create) parts.push("--create");
    if (c.replace) parts.push("--replace");
    if (save.data && save.data.library) parts.push("--library", q(save.data.library));
    var inputs = (save.data && save.data.inputs) || [];
    for (var i = 0; i < inputs.length; i++) parts.push(q(inputs[i]));
    return parts.join(" ");
  }

  function problemOf(c) {
    if (!validVarPath(c.varPath)) return "The variable path must be dot-separated segments of letters, digits, '_' or '-' (at most 200 characters).";
    if (!NAME_RE.test(c.prompt)) return "Choose a prompt, or type a new prompt name: 1-100 letters, digits, '-', '_' or '.', not starting with '.'.";
    if (!NAME_RE.test(c.kase)) return "Choose a test case, or type a new test case name: 1-100 letters, digits, '-', '_' or '.', not starting with '.'.";
    return null;
  }

  function setProblem(text) {
    save.problem.textContent = text || "";
    save.problem.hidden = !text;
  }

  function setDownload(text, name) {
    if (save.url) URL.revokeObjectURL(save.url);
    save.url = null;
    if (text === null) {
      save.download.removeAttribute("href");
      save.download.hidden = true;
      return;
    }
    save.url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    save.download.href = save.url;
    save.download.setAttribute("download", name + ".json");
    save.download.hidden = false;
  }

  function updateSave() {
    if (!save || !save.target) return;
    var token = ++save.token;
    save.promptNewBox.hidden = save.prompt.value !== NEW;
    save.caseNewBox.hidden = save.kase.value !== NEW;
    var c = choice();
    var problem = problemOf(c);
    setProblem(save.touched ? problem : null);
    save.hint.hidden = !problem || save.touched;
    save.commandBox.hidden = !!problem;
    save.command.textContent = problem ? "" : saveCommand(c);
    save.staticBox.querySelector(".save-actions").hidden = !!problem;
    save.liveBox.querySelector("button").disabled = !!problem;
    if (problem) return setDownload(null);
    var t = save.target;
    var source = { run_id: t.runId, entry_id: t.entryId, step_id: t.stepId, step_name: t.stepName, saved_at: utcNow() };
    var existing = c.known && c.known.src ? RunReport.load(c.known.src).then(function (p) { return p.doc; }) : Promise.resolve(null);
    existing.then(function (doc) {
      if (token !== save.token) return;
      try {
        setDownload(RunReport.testCaseJson(c.prompt, c.kase, c.varPath, t.value, source, doc, c.replace), c.kase);
      } catch (e) {
        setDownload(null);
        setProblem(e.message);
      }
    }, function (err) {
      if (token !== save.token) return;
      setDownload(null);
      setProblem("Could not read the test case to merge with: " + err.message);
    });
  }

  function openSaveDialog(sec) {
    var full = fullValue(sec);
    var entry = sec.closest("li.entry[data-entry-id]");
    var run = sec.closest("[data-run-id]");
    if (!full || !entry || !run) return;
    if (!save) save = buildDialog();
    var info = sec.rrSave || {};
    var name = info.step_name || entry.querySelector("summary > b").textContent;
    save.target = {
      runId: run.getAttribute("data-run-id"), entryId: entry.getAttribute("data-entry-id"),
      stepId: info.step_id === undefined ? null : info.step_id, stepName: name,
      value: full.value, defaultPath: RunReport.defaultVariablePath(name),
    };
    save.opener = sec.querySelector("[data-act=save-output]");
    save.what.textContent = "Step Output of " + name + " (entry " + save.target.entryId + " of run " + save.target.runId + ")";
    save.varInput.value = save.target.defaultPath;
    save.replace.checked = false;
    save.touched = false;
    save.result.textContent = "";
    var live = liveToken();
    save.liveBox.hidden = !live;
    save.staticBox.hidden = !!live;
    if (!save.dialog.open) save.dialog.showModal();
    save.varInput.focus();
    RunReport.load(SAVE_DATA).then(
      function (data) {
        save.data = data;
        fillPrompts();
        updateSave();
      },
      function () {
        save.data = null; // no choices: new names only, and no input paths
        fillPrompts();
        updateSave();
      }
    );
    fillPrompts();
    updateSave();
  }

  /** Under `runreport serve`: ask the server to save (it reads the value from the run log). */
  function saveLive(btn) {
    var c = choice();
    if (problemOf(c)) return;
    var t = save.target;
    btn.disabled = true;
    save.result.textContent = "Saving…";
    var body = { run_id: t.runId, entry_id: t.entryId, prompt: c.prompt, "case": c.kase,
                 "var": c.varPath, create: c.create, replace: c.replace };
    fetch(root() + "__runreport/library", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Runreport-Token": liveToken() },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: "the server answered " + r.status }; });
    }).then(function (answer) {
      save.result.textContent = answer.ok
        ? "Saved into " + answer.path + (answer.redacted ? " (secret values saved as [redacted], as this page shows them)" : "")
        : "Not saved: " + answer.error;
    }, function (err) {
      save.result.textContent = "Not saved: " + err.message;
    }).then(function () {
      btn.disabled = false;
    });
  }

  // --- filters -------------------------------------------------------------------

  function readFilter() {
    var f = {};
    var value = new URLSearchParams(location.search).get("filter") || "";
    value.split(",").forEach(function (name) {
      if (FILTERS.indexOf(name) >= 0) f[name] = true;
    });
    return f;
  }

  function writeFilter() {
    var params = new URLSearchParams(location.search);
    var value = FILTERS.filter(function (n) { return filter[n]; }).join(",");
    params.delete("filter");
    // Written by hand: URLSearchParams would write the comma as %2C (both forms are read).
    var qs = params.toString();
    if (value) qs += (qs ? "&" : "") + "filter=" + value;
    try {
      history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
    } catch (e) {
      /* some file:// setups refuse; the filter still applies to this view */
    }
  }

  function filterOn() {
    return !!(filter.errors || filter.rejected);
  }

  function matches(status) {
    return (filter.errors && status === OWN_STATUS.errors) || (filter.rejected && status === OWN_STATUS.rejected);
  }

  /** Hide entries of one run log that do not match, keeping matches' ancestors; true if any matched. */
  function filterLog(log, force) {
    if (!log) return true;
    foldIterations(log);
    var entries = log.querySelectorAll(".entry");
    var on = filterOn();
    log.classList.toggle("filtering", on); // (a filter shows what it keeps, folded or not)
    // Nothing filtered now or before: leave the entries alone (no work per entry).
    if (!on && !log.rrFiltered && !force) return true;
    log.rrFiltered = on;
    var keep = Object.create(null);
    var matched = false;
    var i;
    if (on) {
      for (i = 0; i < entries.length; i++) {
        if (!matches(entries[i].getAttribute("data-own-status"))) continue;
        matched = true;
        keep[i] = true; // an entry's position is its place in display order (data-parent counts the same way)
        // Its ancestors, up to one already kept (so a deep chain is walked once in all).
        for (var p = parentOf(entries[i]); p >= 0 && !keep[p]; p = parentOf(entries[p])) keep[p] = true;
      }
    }
    for (i = 0; i < entries.length; i++) entries[i].hidden = on && !keep[i];
    // A run that failed at run level: its "Run error" row counts as an error entry.
    var runError = log.querySelector(".run-failure");
    if (runError) {
      var kept = on && matches("error");
      if (kept) matched = true;
      runError.hidden = on && !kept;
    }
    moveDividers(entries);
    var groups = log.querySelectorAll(".group");
    for (i = 0; i < groups.length; i++) groups[i].hidden = on && !groups[i].querySelector(".entry:not([hidden])");
    return !on || matched;
  }

  /** The display position of an entry's parent, -1 at the top (or when not on this page). */
  function parentOf(entry) {
    var p = entry ? entry.getAttribute("data-parent") : null;
    return p ? +p : -1;
  }

  /** Whether entries[j] is a descendant of entries[ancestor] (ancestors come first in display order). */
  function isUnder(entries, j, ancestor) {
    for (var p = parentOf(entries[j]); p >= ancestor; p = parentOf(entries[p])) if (p === ancestor) return true;
    return false;
  }

  /**
   * An iteration's divider sits on its first entry. When the filter hides that
   * entry, a copy goes on the first shown entry of the same iteration: the later
   * entries under the same parent, up to the next divider or the parent's end.
   */
  function moveDividers(entries) {
    var moved = [];
    var i;
    for (i = 0; i < entries.length; i++) {
      var copy = entries[i].querySelector(":scope > .divider[data-moved]");
      if (copy) moved.push(copy);
    }
    moved.forEach(function (c) { c.remove(); });
    for (i = 0; i < entries.length; i++) {
      var divider = entries[i].querySelector(":scope > .divider:not([data-moved])");
      if (!divider || !entries[i].hidden) continue;
      var parent = parentOf(entries[i]);
      if (parent < 0) continue;
      for (var j = i + 1; j < entries.length; j++) {
        if (!isUnder(entries, j, parent)) break; // past the parent's entries
        if (parentOf(entries[j]) === parent && entries[j].querySelector(":scope > .divider:not([data-moved])")) break; // next iteration
        if (entries[j].hidden) continue;
        var c = divider.cloneNode(true);
        c.setAttribute("data-moved", "");
        entries[j].insertBefore(c, entries[j].firstChild);
        break;
      }
    }
  }

  // --- loops you can fold -------------------------------------------------------------
  //
  // The first entry of each loop iteration carries data-iter (its number, with the
  // enclosing loops' iterations before it: "2 › 5"), data-iter-of (iterations of its
  // loop) and data-iter-status (the worst status inside). The script gives every
  // iteration a fold button by its divider (the first iteration a header saying
  // "iteration 1" to go with it). An iteration that went well starts folded when its loop
  // has FOLD_MIN iterations or more (a short loop reads best open); one that failed,
  // was rejected or is still running starts open. Without the script every entry is
  // shown, with the dividers between iterations.

  var FOLD_MIN = 10;
  var ITER_LABELS = { running: "running", error: "failed", rejected: "rejected", skipped: "skipped", unknown: "status unknown" };
  var foldChoice = Object.create(null); // header entry id -> folded, as the reader left it

  function foldedAtFirst(head) {
    var status = head.getAttribute("data-iter-status");
    return +head.getAttribute("data-iter-of") >= FOLD_MIN && (status === "success" || status === "skipped");
  }

  function isFolded(head) {
    var id = head.getAttribute("data-entry-id");
    return id in foldChoice ? foldChoice[id] : foldedAtFirst(head);
  }

  /**
   * The fold button of an iteration's first entry: made once, its words kept up to date.
   * It sits before the entry's divider (whose words stay "iteration N"); the first
   * iteration, which has no divider, gets a header saying "iteration 1" for it to sit by.
   */
  function foldButton(entry) {
    var btn = entry.querySelector(":scope > button[data-act=fold]");
    if (!btn) {
      if (!entry.querySelector(":scope > .divider:not([data-moved])")) {
        var head = el("div", "iter-head", "iteration " + entry.getAttribute("data-iter").split(" › ").pop());
        entry.insertBefore(head, entry.firstChild);
      }
      btn = button("fold", "", "fold");
      entry.insertBefore(btn, entry.firstChild);
    }
    var status = entry.getAttribute("data-iter-status") || "unknown";
    var words = "iteration " + entry.getAttribute("data-iter") + " of " + entry.getAttribute("data-iter-of") +
      (ITER_LABELS[status] ? ", " + ITER_LABELS[status] : "");
    if (btn.rrKey !== status + "|" + words) {
      btn.rrKey = status + "|" + words;
      btn.textContent = "";
      btn.appendChild(iconEl(status));
      btn.appendChild(el("span", "sr", words));
      btn.title = words;
    }
    return btn;
  }

  /** Fold and unfold the iterations of one run log as chosen (or as they start). */
  function foldIterations(log) {
    if (!log || !log.querySelector(".entry[data-iter]")) return; // (a log without loops costs nothing)
    var shut = log.querySelectorAll(".folded, .iter-folded");
    var i;
    for (i = 0; i < shut.length; i++) shut[i].classList.remove("folded", "iter-folded");
    var entries = log.querySelectorAll(".entry");
    for (i = 0; i < entries.length; i++) {
      var entry = entries[i];
      if (!entry.hasAttribute("data-iter")) continue;
      var fold = isFolded(entry);
      foldButton(entry).setAttribute("aria-expanded", fold ? "false" : "true");
      if (!fold) continue;
      entry.classList.add("iter-folded"); // its header stays, its own row goes
      var parent = parentOf(entry);
      for (var j = i + 1; j < entries.length; j++) {
        if (!isUnder(entries, j, parent)) break; // past the loop's entries
        if (parentOf(entries[j]) === parent && entries[j].hasAttribute("data-iter")) break; // next iteration
        entries[j].classList.add("folded");
      }
    }
  }

  function toggleFold(btn) {
    var entry = btn.closest(".entry");
    foldChoice[entry.getAttribute("data-entry-id")] = btn.getAttribute("aria-expanded") === "true";
    foldIterations(entry.closest(".run-log"));
  }

  /** Unfold every iteration that holds `entry` (one gone to by a link, a search or the error keys). */
  function revealEntry(entry) {
    if (!entry.classList.contains("folded") && !entry.classList.contains("iter-folded")) return;
    var log = entry.closest(".run-log");
    var entries = Array.prototype.slice.call(log.querySelectorAll(".entry"));
    for (var x = entries.indexOf(entry); x >= 0; x = parentOf(entries[x])) {
      // The header of x's iteration: x itself, or the nearest earlier sibling that has one.
      for (var k = x; k >= 0 && k > parentOf(entries[x]); k--) {
        if (parentOf(entries[k]) !== parentOf(entries[x])) continue;
        if (entries[k].hasAttribute("data-iter")) {
          foldChoice[entries[k].getAttribute("data-entry-id")] = false;
          break;
        }
      }
    }
    foldIterations(log);
  }

  function setCount(n) {
    var nodes = document.querySelectorAll("[data-run-count]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].setAttribute("data-run-count", String(n));
      nodes[i].textContent = formatCount(n);
    }
  }

  function cardFromRow(r, showComposer) {
    var card = el("article", "card");
    card.setAttribute("data-run-id", r.run_id);
    card.setAttribute("data-status", r.status);
    card.setAttribute("data-mode", r.mode);
    card.setAttribute("data-errors", String(r.errors));
    card.setAttribute("data-rejected", String(r.rejected));
    var head = el("div", "card-head");
    head.appendChild(statusEl(r.status, r.status_label));
    if (r.quiet_since) {
      card.classList.add("quiet");
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("span", "quiet-since", "no activity since " + r.quiet_since));
    }
    var h = el("h2", "card-title");
    var a = el("a", "", r.composer);
    a.href = root() + r.href;
    a.appendChild(el("span", "sr", " run " + r.run_id));
    h.appendChild(a);
    head.appendChild(h);
    head.appendChild(el("span", "mode mode-" + r.mode, r.mode_label));
    card.appendChild(head);
    var meta = el("p", "card-meta");
    var time = el("time", "", r.started_text);
    time.setAttribute("datetime", r.started_at || "");
    meta.appendChild(time);
    // As the card macro (templates/macros.html) writes it.
    var count = +r.entry_count || 0;
    meta.appendChild(document.createTextNode((r.duration ? " · " + r.duration : "") + " · " +
      count.toLocaleString("en-US") + (count === 1 ? " entry" : " entries") + " · "));
    meta.appendChild(el("code", "run-id", r.run_id));
    if (showComposer) {
      meta.appendChild(document.createTextNode(" · "));
      var c = el("a", "", "all runs of this composer");
      c.href = root() + r.composer_href;
      meta.appendChild(c);
    }
    card.appendChild(meta);
    if (r.said) card.appendChild(saidLine(r.said));
    var expand = button("expand", "Step log", "expand");
    var chev = el("span", "chev");
    chev.setAttribute("aria-hidden", "true");
    expand.insertBefore(chev, expand.firstChild);
    expand.setAttribute("data-log", r.log);
    expand.setAttribute("aria-expanded", "false");
    card.appendChild(expand);
    var log = el("div", "card-log");
    log.hidden = true;
    card.appendChild(log);
    return card;
  }

  /** A card's "what went wrong" line, as the said macro (templates/macros.html) writes it. */
  function saidLine(said) {
    var p = el("p", "said said-" + said[0]);
    var a = el("a");
    a.href = root() + said[1];
    a.appendChild(iconEl(said[0]));
    a.appendChild(el("b", "", said[2]));
    (said[3] || []).forEach(function (b) {
      a.appendChild(document.createTextNode(" "));
      a.appendChild(el("span", "b", b));
    });
    a.appendChild(document.createTextNode(": "));
    a.appendChild(el("span", "said-msg", said[4]));
    p.appendChild(a);
    return p;
  }

  function rowObject(fields, row) {
    var o = {};
    for (var i = 0; i < fields.length; i++) o[fields[i]] = row[i];
    return o;
  }

  /** Filtered listing: list matching runs of every page from the chunked match index. */
  function showMatches(listing, total) {
    var token = ++listToken;
    var box = listing.querySelector(".matches");
    var prefix = listing.getAttribute("data-match-prefix");
    var chunks = +listing.getAttribute("data-match-chunks");
    var showComposer = listing.getAttribute("data-listing") === "all";
    var chunk = chunks - 1; // chunk 0 holds the oldest runs: read from the newest
    var row = 0;
    var shown = 0;
    box.textContent = "";
    var list = el("div", "match-list");
    box.appendChild(list);
    var more = button("more", "Show more runs", "more");
    more.hidden = true;
    box.appendChild(more);

    function fill(limit) {
      if (token !== listToken) return;
      if (shown >= limit || chunk < 0) {
        more.hidden = shown >= total || chunk < 0;
        localTimes(list);
        return;
      }
      RunReport.load(prefix + chunk + ".js").then(
        function (payload) {
          if (token !== listToken) return;
          var rows = payload.rows;
          for (; row < rows.length && shown < limit; row++) {
            var r = rowObject(payload.fields, rows[row]);
            if ((filter.errors && r.errors) || (filter.rejected && r.rejected)) {
              list.appendChild(cardFromRow(r, showComposer));
              shown++;
            }
          }
          if (row >= rows.length) {
            chunk--;
            row = 0;
          }
          fill(limit);
        },
        function (err) {
          if (token === listToken) {
            var p = el("div");
            loadError(p, err);
            box.appendChild(p);
          }
        }
      );
    }
    more.rrMore = function () {
      more.hidden = true;
      fill(shown + LIST_STEP);
    };
    fill(LIST_STEP);
  }

  function applyListing(listing) {
    if (!listing.hasAttribute("data-count-all")) return listCounts(listing); // a block page
    if (listing.classList.contains("searching")) return; // results stand until the box is emptied
    var on = filterOn();
    var total = +listing.getAttribute("data-count-all");
    var which = filter.errors && filter.rejected ? "either" : filter.errors ? "errors" : "rejected";
    var n = on ? +listing.getAttribute("data-count-" + which) : total;
    setCount(n);
    var parts = [".cards", ".pager", ".page-of"];
    for (var i = 0; i < parts.length; i++) {
      var node = listing.querySelector(parts[i]);
      if (node) node.hidden = on;
    }
    var box = listing.querySelector(".matches");
    box.hidden = !on;
    var empty = listing.querySelector("[data-empty]");
    empty.textContent = total ? "No matching runs." : "No runs in the input.";
    empty.hidden = n > 0;
    if (on && n > 0) showMatches(listing, n);
    else {
      listToken++;
      box.textContent = "";
    }
  }

  function applyFilters() {
    var buttons = document.querySelectorAll("[data-filter]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", filter[buttons[i].getAttribute("data-filter")] ? "true" : "false");
    }
    var listing = document.querySelector(".listing");
    if (listing) applyListing(listing);
    var logs = document.querySelectorAll(".card-log .run-log");
    for (i = 0; i < logs.length; i++) filterLog(logs[i]);
    var run = document.querySelector(".run");
    if (run) {
      var log = run.querySelector(".run-log");
      var ok = filterLog(log);
      if (filterOn() && partsPending(log)) {
        // Not all of the log is here yet: the run's own flags say whether it matches.
        ok = ok || (filter.errors && run.getAttribute("data-errors") === "1") ||
          (filter.rejected && run.getAttribute("data-rejected") === "1");
        loadParts(log).then(applyFilters);
      }
      setCount(ok ? 1 : 0);
      var timeline = log.querySelector(".timeline");
      if (timeline) timeline.hidden = !ok;
      log.querySelector("[data-empty]").hidden = ok;
    }
  }

  // --- log parts of large runs ------------------------------------------------------
  //
  // A run page's HTML holds the first LOG_PART_ENTRIES entries of its log; the
  // rest is in data/<run>/log-<k>.js, k = 1 … data-parts - 1, each the HTML of
  // the groups of its entries (a group may continue from the previous part).
  // They are loaded after first paint, and at once when a filter or a deep link
  // needs the whole run. An expanded card loads them after log.js.

  function partSrc(log, k) {
    return log.getAttribute("data-dir") + "log-" + k + ".js";
  }

  function partsPending(log) {
    return !!log && +(log.getAttribute("data-parts") || 1) > 1 && !log.rrComplete;
  }

  /** Append one part's groups to a run log (`log` may be a detached fresh one). */
  function appendPart(log, html) {
    var timeline = log.querySelector(".timeline");
    var part = fragment(html);
    if (log.closest(".card-log")) forCard(part);
    var groups = Array.prototype.slice.call(part.children);
    for (var i = 0; i < groups.length; i++) {
      var last = timeline.lastElementChild;
      if (last && last.getAttribute("data-automation") === groups[i].getAttribute("data-automation")) {
        var into = last.querySelector(".entries"), from = groups[i].querySelector(".entries");
        while (from.firstChild) into.appendChild(from.firstChild);
      } else timeline.appendChild(groups[i]);
    }
  }

  /** Load (all at once) and append, in order, the parts a log still lacks; resolves when done. */
  function loadParts(log, load) {
    if (!partsPending(log)) return Promise.resolve();
    if (log.rrPartsLoading) return log.rrPartsLoading;
    var n = +log.getAttribute("data-parts");
    var files = [];
    for (var k = 1; k < n; k++) files.push((load || RunReport.load)(partSrc(log, k)).then(logMarkup));
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () { return file; }).then(function (html) {
        if (!log.rrComplete) appendPart(log, html); // (a live update may have brought them all)
      });
    });
    log.rrPartsLoading = chain.then(function () {
      log.rrComplete = true;
      if (log.rrFiltered || filterOn()) filterLog(log, true);
    }, function (err) {
      log.rrComplete = true; // what arrived stays; say what is missing
      var box = el("div");
      loadError(box, err);
      log.appendChild(box);
    });
    return log.rrPartsLoading;
  }

  /** The run page: its remaining parts, once the first paint is done. */
  function loadPartsLater() {
    var log = document.querySelector(".run > .run-log");
    if (!partsPending(log)) return;
    var start = function () { setTimeout(function () { loadParts(log); }, 0); };
    if (document.readyState === "complete") requestAnimationFrame(start);
    else window.addEventListener("load", function () { requestAnimationFrame(start); });
  }

  // --- cards, entries, deep links ------------------------------------------------

  function toggleCard(btn) {
    var card = btn.closest(".card");
    var box = card.querySelector(".card-log");
    var open = btn.getAttribute("aria-expanded") !== "true";
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    box.hidden = !open;
    if (!open || box.hasAttribute("data-loaded")) return;
    box.setAttribute("data-loaded", "");
    box.textContent = "Loading…";
    RunReport.load(btn.getAttribute("data-log")).then(logMarkup).then(
      function (html) {
        box.textContent = "";
        box.appendChild(forCard(fragment(html)));
        localTimes(box);
        var log = box.querySelector(".run-log");
        filterLog(log);
        loadParts(log);
      },
      function (err) {
        loadError(box, err);
      }
    );
  }

  function toggleSection(btn) {
    var sec = btn.closest(".sec");
    var open = btn.getAttribute("aria-expanded") !== "true";
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    sectionParts(sec).hidden = !open;
    if (open) showSection(sec);
  }

  function setView(btn) {
    var sec = btn.closest(".sec");
    var views = sec.querySelectorAll("[data-view]");
    for (var i = 0; i < views.length; i++) views[i].setAttribute("aria-pressed", views[i] === btn ? "true" : "false");
    var toggle = sec.querySelector("[data-act=section]");
    if (toggle.getAttribute("aria-expanded") !== "true") toggleSection(toggle);
    else showSection(sec);
  }

  function findEntry(hash) {
    // "#error-<id>" names a failing entry's message (a card's error line links there).
    if (hash.indexOf("#error-") === 0) hash = "#entry-" + hash.slice("#error-".length);
    if (hash.indexOf("#entry-") !== 0) return null;
    var id = hash.slice(1);
    try {
      id = decodeURIComponent(id);
    } catch (e) {
      /* keep it as written */
    }
    var target = document.getElementById(id);
    if (target && target.classList.contains("entry")) return target;
    var raw = id.slice("entry-".length);
    var entries = document.querySelectorAll(".run .entry[data-entry-id]");
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].getAttribute("data-entry-id") === raw) return entries[i];
    }
    return null;
  }

  function openHash() {
    var entry = findEntry(location.hash);
    var log = document.querySelector(".run > .run-log");
    if (!entry && /^#(entry|error)-/.test(location.hash) && partsPending(log)) {
      loadParts(log).then(openHash); // the entry is in a later part of the log
      return;
    }
    if (!entry) return;
    revealEntry(entry);
    if (location.hash.indexOf("#error-") === 0) {
      // Reached to see what failed (a card's error line links to the message): its Error
      // section opens too. A deep link to the entry opens the entry only.
      entryParts(entry);
      var error = entry.querySelector(':scope > details > .sec[data-section="error"] > [data-act=section]');
      if (error) error.setAttribute("aria-expanded", "true");
    }
    var details = entry.querySelector("details");
    if (details && !details.open) details.open = true;
    else if (details) showOpenSections(entry);
    entry.scrollIntoView({ block: "start" });
    var summary = entry.querySelector("summary");
    if (summary) summary.focus({ preventScroll: true });
  }

  // --- search across all runs (the Runs page) --------------------------------------
  //
  // The box exists only with the script. Its index is data/search/all-<k>.js (run
  // id, composer, step names, what went wrong), loaded with <script> elements on
  // the first search, all of it: a query can match any run, on any page, whether
  // its page was ever opened or not. Results replace the cards until the box is
  // emptied; the filters apply to the cards, not to the results.

  var SEARCH_MIN = 2;
  var SEARCH_SHOWN = 100;
  var searchToken = 0;

  function searchBox(listing) {
    var head = listing.querySelector(".listing-head");
    var form = el("form", "search");
    form.setAttribute("role", "search");
    var label = el("label", "sr", "Search runs by run id, composer, step or error message");
    var input = el("input");
    input.type = "search";
    input.id = "run-search";
    input.placeholder = "Search runs, steps, errors";
    input.setAttribute("autocomplete", "off");
    label.setAttribute("for", input.id);
    form.appendChild(label);
    form.appendChild(input);
    form.addEventListener("submit", function (e) { e.preventDefault(); runSearch(listing, input.value); });
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { runSearch(listing, input.value); }, 150);
    });
    head.appendChild(form);
  }

  var searchLoading = null; // the index files being loaded, if any

  function searchIndex(listing) {
    if (searchLoading) return searchLoading;
    var n = +listing.getAttribute("data-search-chunks");
    var prefix = listing.getAttribute("data-search-prefix");
    var files = [];
    for (var k = n - 1; k >= 0; k--) files.push(RunReport.load(prefix + k + ".js")); // newest first
    var loading = searchLoading = Promise.all(files);
    loading.then(function () { if (searchLoading === loading) searchLoading = null; },
      function () { if (searchLoading === loading) searchLoading = null; });
    return loading;
  }

  /**
   * A newer build rewrote the index: read it afresh (once a load under way has
   * delivered, so that no file of the older build arrives in place of the newer
   * one: both are delivered under the same name), and search again.
   */
  function refreshSearch(listing, chunks) {
    var under = searchLoading || Promise.resolve();
    under.then(null, function () {}).then(function () {
      var prefix = listing.getAttribute("data-search-prefix");
      for (var k = 0; k <= Math.max(+listing.getAttribute("data-search-chunks"), chunks || 0); k++) {
        delete received[prefix + k + ".js"];
        delete pending[prefix + k + ".js"];
      }
      if (chunks) listing.setAttribute("data-search-chunks", String(chunks));
      var box = document.getElementById("run-search");
      if (box && listing.classList.contains("searching")) runSearch(listing, box.value);
    });
  }

  /** The first field of a search row holding `q` (lower case): [label, text], or null. */
  function searchHit(r, names, q) {
    if (r.run_id.toLowerCase().indexOf(q) >= 0) return ["run", r.run_id];
    if (r.composer.toLowerCase().indexOf(q) >= 0) return ["composer", r.composer];
    if (r.said && r.said[1].toLowerCase().indexOf(q) >= 0) return ["error in " + r.said[0], r.said[1]];
    for (var i = 0; i < r.steps.length; i++) {
      var name = names[r.steps[i]];
      if (name.toLowerCase().indexOf(q) >= 0) return ["step", name];
    }
    return null;
  }

  function marked(text, q) {
    var span = el("span", "hit-text");
    var at = text.toLowerCase().indexOf(q);
    if (at < 0) {
      span.textContent = text;
      return span;
    }
    span.appendChild(document.createTextNode(text.slice(0, at)));
    span.appendChild(el("mark", "", text.slice(at, at + q.length)));
    span.appendChild(document.createTextNode(text.slice(at + q.length)));
    return span;
  }

  function searchResult(r, hit, q) {
    var item = el("li", "result");
    item.setAttribute("data-run-id", r.run_id);
    item.setAttribute("data-status", r.status);
    item.appendChild(statusEl(r.status, r.status_label));
    var a = el("a", "", r.composer);
    a.href = root() + (hit[0].indexOf("error") === 0 && r.said ? r.said[2] : r.href);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(a);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("code", "run-id", r.run_id));
    item.appendChild(el("span", "when", " · " + r.started_text));
    var why = el("span", "why");
    why.appendChild(el("span", "field", hit[0] + ": "));
    why.appendChild(marked(hit[1], q));
    item.appendChild(why);
    return item;
  }

  function runSearch(listing, query) {
    var token = ++searchToken;
    var q = query.trim().toLowerCase();
    var box = listing.querySelector(".search-results");
    var searching = q.length >= SEARCH_MIN;
    listing.classList.toggle("searching", searching);
    if (!searching) {
      box.hidden = true;
      box.textContent = "";
      applyListing(listing);
      return;
    }
    searchIndex(listing).then(function (files) {
      if (token !== searchToken) return;
      var list = el("ol", "results");
      var found = 0;
      files.forEach(function (file) {
        for (var i = 0; i < file.rows.length; i++) {
          var r = rowObject(file.fields, file.rows[i]);
          var hit = searchHit(r, file.names, q);
          if (!hit) continue;
          found++;
          if (found <= SEARCH_SHOWN) list.appendChild(searchResult(r, hit, q));
        }
      });
      box.textContent = "";
      var said = el("p", "result-count", found === 1 ? "1 run matches." : formatNumber(found) + " runs match." +
        (found > SEARCH_SHOWN ? " The newest " + SEARCH_SHOWN + " are shown." : ""));
      box.appendChild(said);
      if (found) box.appendChild(list);
      box.hidden = false;
      setCount(found);
      ["matches", "cards", "pager", "page-of", "empty"].forEach(function (c) {
        var node = listing.querySelector("." + c);
        if (node) node.hidden = true;
      });
      if (liveRegion) liveRegion.textContent = said.textContent;
    }, function (err) {
      if (token !== searchToken) return;
      box.textContent = "";
      loadError(box, err);
      box.hidden = false;
    });
  }

  // --- next / previous error on a run page ----------------------------------------
  //
  // The buttons (and E / Shift+E) move focus through the run's errors in display
  // order: its "Run error" row, then every entry whose own status is error,
  // opening each with its Error section. A large run's later parts load first.

  var errorAt = -1; // the error last gone to

  function errorStops(log) {
    return Array.prototype.slice.call(log.querySelectorAll(
      '.run-failure, li.entry[data-own-status="error"]')).filter(function (n) { return !n.closest("[hidden]"); });
  }

  function goToError(step) {
    var log = document.querySelector(".run > .run-log");
    if (!log) return;
    loadParts(log).then(function () {
      var stops = errorStops(log);
      if (!stops.length) return;
      var focused = document.activeElement && document.activeElement.closest ?
        document.activeElement.closest('.run-failure, li.entry[data-own-status="error"]') : null;
      var at = focused ? stops.indexOf(focused) : errorAt;
      errorAt = at < 0 ? (step > 0 ? 0 : stops.length - 1) : (at + step + stops.length) % stops.length;
      var stop = stops[errorAt];
      if (stop.matches("li.entry")) {
        revealEntry(stop);
        entryParts(stop);
        var error = stop.querySelector(':scope > details > .sec[data-section="error"] > [data-act=section]');
        if (error) error.setAttribute("aria-expanded", "true");
        var details = stop.querySelector(":scope > details");
        if (details && !details.open) details.open = true;
        else showOpenSections(stop);
        stop.querySelector("summary").focus({ preventScroll: true });
      } else {
        stop.setAttribute("tabindex", "-1");
        stop.focus({ preventScroll: true });
      }
      stop.scrollIntoView({ block: "start" });
    });
  }

  function onKey(event) {
    if (event.key !== "e" && event.key !== "E") return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    var t = event.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (!document.querySelector("[data-act=error-nav]")) return;
    event.preventDefault();
    goToError(event.shiftKey ? -1 : 1);
  }

  function onClick(event) {
    var btn = event.target.closest("button[data-act]");
    if (!btn) return;
    var act = btn.getAttribute("data-act");
    if (act === "filter") {
      var name = btn.getAttribute("data-filter");
      filter[name] = !filter[name];
      writeFilter();
      applyFilters();
    } else if (act === "expand") {
      toggleCard(btn);
    } else if (act === "fold") {
      toggleFold(btn);
    } else if (act === "error-nav") {
      goToError(+btn.getAttribute("data-step"));
    } else if (act === "section") {
      toggleSection(btn);
    } else if (act === "view") {
      setView(btn);
    } else if (act === "copy") {
      // A summary row's value is the <code> just before its button.
      var value = btn.getAttribute("data-copy");
      if (value === null) value = btn.parentNode.querySelector("code").textContent;
      copyFrom(btn, value);
    } else if (act === "copy-raw") {
      copyFrom(btn, btn.rrText !== undefined ? btn.rrText : btn.parentNode.querySelector(".raw").textContent);
    } else if (act === "more" && btn.rrMore) {
      btn.rrMore();
    } else if (act === "save-output") {
      openSaveDialog(btn.closest(".sec"));
    } else if (act === "save-copy") {
      copyFrom(btn, document.getElementById("rr-save-command").textContent);
    } else if (act === "save-live") {
      saveLive(btn);
    } else if (act === "save-close") {
      btn.closest("dialog").close();
    }
  }

  function onToggle(event) {
    var details = event.target;
    // Only an entry's own <details>: not the nodes of a Raw view's JSON tree.
    if (details.tagName !== "DETAILS" || !details.open || !details.parentNode.matches("li.entry")) return;
    var entry = details.closest(".entry");
    if (entry) showOpenSections(entry);
  }

  // --- what a newer build changes outside the logs (called by the live updates) ----

  /** The run page's header: duration, run error and run-level sections, from its log file's payload. */
  function patchRunHead(run, p, fetchFile) {
    patchRunSections(run, p.run_sections || [], fetchFile);
    var meta = run.querySelector(".run-meta");
    var code = meta && meta.querySelector(".run-id");
    if (p.duration && code) {
      var took = meta.querySelector(".took");
      if (!took) { // " · took 5 s" goes before the " · " that precedes the run id
        took = el("span", "took");
        var sep = code.previousSibling;
        meta.insertBefore(document.createTextNode(" · "), sep);
        meta.insertBefore(took, sep);
      }
      took.textContent = "took " + p.duration;
    }
    var error = run.querySelector(".run-error");
    if (!p.error_text) {
      if (error && "error_text" in p) error.remove();
      return;
    }
    if (!error) {
      error = el("p", "run-error");
      var icon = error.appendChild(el("span", "ic ic-error"));
      icon.setAttribute("aria-hidden", "true");
      error.appendChild(el("strong", "", "Run error:"));
      error.appendChild(document.createTextNode(""));
      meta.parentNode.insertBefore(error, meta.nextSibling);
    }
    error.lastChild.nodeValue = " " + p.error_text;
  }

  /** Add run-level sections (Run Error, Trigger, Meta) that a newer build has. */
  function patchRunSections(run, sections, fetchFile) {
    var holder = run.querySelector(".run-data");
    var missing = sections.filter(function (s) {
      return !holder || !holder.querySelector(':scope > [data-section="' + s[0] + '"]');
    });
    if (!missing.length) return;
    if (!holder) {
      holder = el("div", "run-data");
      holder.setAttribute("data-v", "0");
      var head = run.querySelector(".run-head");
      head.insertBefore(holder, head.querySelector("noscript"));
    }
    var src = run.getAttribute("data-dir") + "v-0.js";
    if (!fetchFile.has(src)) { // its values changed: read afresh when a section is opened
      delete received[src];
      delete pending[src];
    }
    sections.forEach(function (s) {
      var sec = holder.querySelector(':scope > [data-section="' + s[0] + '"]');
      if (!sec) {
        sec = el("div", "sec");
        sec.setAttribute("data-section", s[0]);
        sec.setAttribute("data-run-section", "");
        var toggle = sec.appendChild(button("section", s[1], "sec-toggle"));
        toggle.setAttribute("aria-expanded", "false");
        sectionParts(sec);
      }
      holder.appendChild(sec); // in the build's order
    });
  }

  /** The banner and nav link of input problems, from a data file's problem count. */
  function patchProblems(n) {
    if (typeof n !== "number" || document.body.classList.contains("page-problems")) return;
    var href = root() + "problems.html";
    var banner = document.querySelector("body > .banner");
    var nav = document.querySelector("header.site nav");
    var link = nav && nav.querySelector('a[href$="problems.html"]');
    if (!n) {
      if (banner) banner.remove();
      if (link) {
        if (link.previousSibling && link.previousSibling.nodeType === 3) link.previousSibling.remove();
        link.remove();
      }
      return;
    }
    if (nav && !link) {
      nav.appendChild(document.createTextNode(" "));
      nav.appendChild(el("a", "", "Problems")).href = href;
    }
    if (!banner) {
      banner = el("div", "banner");
      banner.setAttribute("role", "note");
      document.body.insertBefore(banner, document.querySelector("main"));
    }
    banner.textContent = "";
    var icon = banner.appendChild(el("span", "ic ic-error"));
    icon.setAttribute("aria-hidden", "true");
    banner.appendChild(document.createTextNode(" The input had " + n.toLocaleString("en-US") +
      (n === 1 ? " problem: " : " problems: ")));
    banner.appendChild(el("a", "", "see the Problems page")).href = href;
    banner.appendChild(document.createTextNode("."));
  }

  // --- live updates ---------------------------------------------------------------
  //
  // A page learns of a newer build in one of two ways, then patches itself in
  // place (docs/site-internals.md, "Incremental builds and live updates"):
  // under `runreport serve --watch` <meta name="runreport-live"> names a
  // Server-Sent Events stream of build ids; elsewhere (file://, a static
  // server) build.js, `RunReport.build(id)`, is re-loaded every few seconds,
  // but only while some run on the page is unfinished. Neither: nothing runs.
  // Patching keeps what the reader did: expanded cards, entries and sections,
  // filters (in the URL) and the scroll position.

  var LIVE_POLL_MS = 3000;
  var UNFINISHED = '.card[data-status="running"], .card[data-status="awaiting_review"], ' +
    '.run[data-status="running"], .run[data-status="awaiting_review"], .run-meta .st-running, .run-meta .st-awaiting_review';
  var live = { build: null, busy: false, next: null, stopped: false };

  function metaContent(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : null;
  }

  /** Load a data file anew (cache-busted); later RunReport.load(src) calls get the new payload. */
  function reload(src, build) {
    delete received[src];
    var d = {};
    d.promise = new Promise(function (resolve, reject) {
      d.resolve = resolve;
      d.reject = reject;
    });
    pending[src] = d;
    var script = document.createElement("script");
    function done(ok) {
      script.remove();
      if (!(src in received)) {
        if (pending[src] === d) delete pending[src];
        d.reject(new Error(src + (ok ? " did not deliver its data" : " could not be read")));
      }
    }
    script.onload = function () { done(true); };
    script.onerror = function () { done(false); };
    script.async = true;
    script.src = root() + src + "?b=" + encodeURIComponent(build);
    document.head.appendChild(script);
    return d.promise;
  }

  /** Block pages carry no listing-wide counts: take them from the listing's list file. */
  function listCounts(listing) {
    if (listing.rrCounting) return;
    listing.rrCounting = true;
    RunReport.load(listing.getAttribute("data-list")).then(function (p) {
      setListCounts(listing, p);
      applyListing(listing);
    }, function () { /* the page still shows its own cards and the per-page count */ });
  }

  function setListCounts(listing, p) {
    var before = listing.getAttribute("data-count-all") + "/" + listing.getAttribute("data-count-either") +
      "/" + listing.getAttribute("data-match-chunks");
    ["all", "errors", "rejected", "either"].forEach(function (k) {
      listing.setAttribute("data-count-" + k, String(p.counts[k]));
      var shown = listing.querySelector('[data-count-of="' + k + '"]');
      if (shown) shown.textContent = formatNumber(p.counts[k]);
    });
    listing.setAttribute("data-match-chunks", String(p.match_chunks));
    ["failed", "running", "awaiting_review", "completed"].forEach(function (k) {
      var total = listing.querySelector('[data-total="' + k + '"] b');
      if (total && p.counts[k] !== undefined) total.textContent = formatNumber(p.counts[k]);
    });
    return before !== p.counts.all + "/" + p.counts.either + "/" + p.match_chunks;
  }

  /** Called by build.js (and for each build id the event stream sends). */
  RunReport.build = function (id) {
    if (live.build === null) live.build = id; // first sight: the build this page shows
    else if (id !== live.build) liveUpdate(id);
  };

  function setStatus(node, status, label) {
    if (!status) return;
    node.setAttribute("data-status", status);
    var s = node.querySelector(".status");
    if (!s) return;
    s.className = "status st-" + status;
    var icon = s.querySelector(".ic");
    if (icon) icon.className = "ic ic-" + status;
    if (s.lastChild && s.lastChild.nodeType === 3) s.lastChild.nodeValue = label;
  }

  /** Markup the build rendered (autoescaped), as nodes; `<noscript>` parts are for readers without the script. */
  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    var hidden = t.content.querySelectorAll("noscript");
    for (var i = 0; i < hidden.length; i++) hidden[i].remove();
    return t.content;
  }

  /**
   * A run page's log markup made fit for a card: entry ids name anchors of the run page,
   * and on a listing two runs may share entry ids.
   */
  function forCard(nodes) {
    var named = nodes.querySelectorAll("[id]");
    for (var i = 0; i < named.length; i++) named[i].removeAttribute("id");
    return nodes;
  }

  function byAttr(parent, attr, value) {
    for (var c = parent.firstElementChild; c; c = c.nextElementSibling) {
      if (c.getAttribute(attr) === value) return c;
    }
    return null;
  }

  /** What an entry shows besides values: its section keys, summary rows and Edit link. */
  function bodyShape(entry) {
    var d = entry.querySelector(":scope > details");
    var rows = [];
    var cells = d ? d.querySelectorAll(":scope > dl > dt, :scope > dl > dd > code") : [];
    for (var i = 0; i < cells.length; i++) rows.push(cells[i].textContent);
    return (entry.getAttribute("data-sec") || "") + "|" + rows.join("\u0000") + "|" +
      !!(d && d.querySelector(":scope > .edit"));
  }

  function patchEntry(old, fresh, fetchFile) {
    var changed = bodyShape(old) !== bodyShape(fresh);
    ["data-status", "data-own-status", "data-parent", "data-v", "data-sec", "data-iter", "data-iter-of",
      "data-iter-status"].forEach(function (a) {
      if (fresh.hasAttribute(a)) old.setAttribute(a, fresh.getAttribute(a));
      else old.removeAttribute(a);
    });
    var os = old.querySelector("summary"), ns = fresh.querySelector("summary");
    if (os && ns && os.innerHTML !== ns.innerHTML) os.innerHTML = ns.innerHTML;
    var od = old.querySelector(":scope > details"), nd = fresh.querySelector(":scope > details");
    if (!od || !nd) return;
    var open = {};
    var secs = od.querySelectorAll(":scope > .sec");
    for (var i = 0; i < secs.length; i++) {
      open[secs[i].getAttribute("data-section")] =
        secs[i].querySelector("[data-act=section]").getAttribute("aria-expanded");
    }
    if (changed) {
      // Everything after the summary anew; sections keep their state, and one
      // that just appeared in an open entry is shown expanded.
      while (od.lastChild !== os) od.removeChild(od.lastChild);
      while (nd.firstChild) {
        var c = nd.firstChild;
        nd.removeChild(c);
        if (c !== ns) od.appendChild(c);
      }
      old.rrParts = false;
      if (od.open) {
        (old.getAttribute("data-sec") || "").split(" ").forEach(function (k) { if (k && !open[k]) open[k] = "true"; });
        entryParts(old, open);
      } else if (secs.length) {
        entryParts(old, open);
      }
    } else {
      for (i = 0; i < secs.length; i++) {
        secs[i].rrData = null;
        secs[i].rrChunks = null;
        secs[i].rrLoading = false;
      }
    }
    var dir = old.closest("[data-dir]");
    if (!dir || !old.hasAttribute("data-v")) return;
    var src = dir.getAttribute("data-dir") + "v-" + old.getAttribute("data-v") + ".js";
    if (od.open) {
      fetchFile(src).then(function () { showOpenSections(old); }, function () { showOpenSections(old); });
    } else if (!fetchFile.has(src)) {
      delete received[src]; // loaded afresh when the entry is opened
      delete pending[src];
    }
  }

  /**
   * Patch the items of `oldList` (keyed by the attribute `key`) with those of
   * `newList`: new items inserted in order and items gone removed, unless
   * `shownOnly` (a part page: it keeps its own slice of the log).
   */
  function patchList(oldList, newList, key, patch, shownOnly) {
    var prev = null;
    var seen = Object.create(null);
    var items = Array.prototype.slice.call(newList.children);
    for (var i = 0; i < items.length; i++) {
      var value = items[i].getAttribute(key);
      seen[value] = true;
      var old = byAttr(oldList, key, value);
      if (old) patch(old, items[i]);
      else if (shownOnly) continue;
      else {
        old = items[i];
        oldList.insertBefore(old, prev ? prev.nextSibling : oldList.firstChild);
        localTimes(old);
      }
      prev = old;
    }
    if (shownOnly) return;
    var stale = Array.prototype.slice.call(oldList.children).filter(function (c) { return !seen[c.getAttribute(key)]; });
    stale.forEach(function (c) { c.remove(); });
  }

  /**
   * Bring a shown run log up to date with a freshly built fragment. A part
   * page (`data-part`: entries k… of a large run, for readers without the
   * script) keeps its slice: its entries are patched, new ones show on the run page.
   */
  function patchLog(log, fresh, fetchFile) {
    var timeline = log && log.querySelector(".timeline");
    if (!fresh || !timeline) return;
    var slice = log.hasAttribute("data-part");
    if (!slice) {
      log.rrComplete = true; // `fresh` holds every part: nothing left to append
      log.setAttribute("data-parts", fresh.getAttribute("data-parts") || "1");
    }
    // The "Run error" row is no group: taken out, then put back first if the run still has one.
    var freshTimeline = fresh.querySelector(".timeline");
    var runError = freshTimeline.querySelector(":scope > .run-failure");
    if (runError) runError.remove();
    var oldRunError = timeline.querySelector(":scope > .run-failure");
    if (oldRunError) oldRunError.remove();
    patchList(timeline, freshTimeline, "data-automation", function (og, ng) {
      og.setAttribute("data-status", ng.getAttribute("data-status"));
      og.querySelector(".group-head").innerHTML = ng.querySelector(".group-head").innerHTML;
      patchList(og.querySelector(".entries"), ng.querySelector(".entries"), "data-entry-id", function (oe, ne) {
        patchEntry(oe, ne, fetchFile);
      }, slice);
    }, slice);
    if (runError && !slice) timeline.insertBefore(runError, timeline.firstChild);
    var none = log.querySelector(":scope > p.none");
    if (none && timeline.children.length) none.remove();
    filterLog(log);
  }

  /** A freshly built run log, every part in (from its log.js payload). */
  function freshLog(p, fetchFile) {
    return logMarkup(p).then(function (html) {
      var fresh = fragment(html).querySelector(".run-log");
      if (!fresh || !(p.parts > 1)) return fresh;
      var files = [];
      for (var k = 1; k < p.parts; k++) files.push(fetchFile(partSrc(fresh, k)).then(logMarkup));
      return Promise.all(files).then(function (parts) {
        parts.forEach(function (html) { appendPart(fresh, html); });
        return fresh;
      });
    });
  }

  function updateCard(card, fetchFile) {
    var btn = card.querySelector("[data-act=expand]");
    if (!btn) return null;
    return fetchFile(btn.getAttribute("data-log")).then(function (p) {
      setStatus(card, p.status, p.status_label);
      var box = card.querySelector(".card-log");
      if (!box || !box.hasAttribute("data-loaded")) return;
      if (btn.getAttribute("aria-expanded") !== "true") {
        box.removeAttribute("data-loaded"); // shown anew when expanded again
        return;
      }
      return freshLog(p, fetchFile).then(function (fresh) {
        patchLog(box.querySelector(".run-log"), fresh && forCard(fresh), fetchFile);
      });
    });
  }

  /** Head pages: new cards in order, changed cards' heads, counts; block pages: counts. */
  function updateListing(listing, fetchFile) {
    return fetchFile(listing.getAttribute("data-list")).then(function (p) {
      var countsChanged = setListCounts(listing, p);
      patchProblems(p.problems);
      var cards = listing.querySelector(".cards");
      if (listing.hasAttribute("data-head") && cards) {
        var list = document.createElement("div");
        p.cards.forEach(function (c) { list.appendChild(fragment(c[1])); });
        patchList(cards, list, "data-run-id", function (old, fresh) {
          ["data-status", "data-mode", "data-errors", "data-rejected"].forEach(function (a) {
            old.setAttribute(a, fresh.getAttribute(a));
          });
          ["card-head", "card-meta"].forEach(function (cls) {
            var o = old.querySelector("." + cls), n = fresh.querySelector("." + cls);
            if (o && n && o.innerHTML !== n.innerHTML) {
              o.innerHTML = n.innerHTML;
              localTimes(o);
            }
          });
        });
      }
      // The search index holds statuses and errors, which change without the counts.
      if (listing.hasAttribute("data-search-chunks")) refreshSearch(listing, p.search_chunks);
      if (countsChanged) {
        // Match chunks may have changed too: load them afresh for the filtered view.
        var prefix = listing.getAttribute("data-match-prefix");
        for (var n = 0; n <= p.match_chunks; n++) {
          delete received[prefix + n + ".js"];
          delete pending[prefix + n + ".js"];
        }
        applyListing(listing);
      }
    });
  }

  function liveUpdate(id) {
    if (live.busy) {
      live.next = id;
      return;
    }
    live.busy = true;
    var files = Object.create(null);
    function fetchFile(src) {
      return files[src] || (files[src] = reload(src, id));
    }
    fetchFile.has = function (src) { return !!files[src]; };
    var jobs = [];
    var listing = document.querySelector(".listing[data-list]");
    if (listing) jobs.push(updateListing(listing, fetchFile));
    var cards = document.querySelectorAll(".card");
    for (var i = 0; i < cards.length; i++) {
      var btn = cards[i].querySelector("[data-act=expand]");
      if (cards[i].matches(UNFINISHED) || (btn && btn.getAttribute("aria-expanded") === "true")) {
        jobs.push(updateCard(cards[i], fetchFile));
      }
    }
    var problems = document.body.getAttribute("data-problems");
    if (problems) jobs.push(fetchFile(problems).then(function (p) { patchProblems(p.count); }));
    var run = document.querySelector(".run[data-dir]");
    if (run) {
      jobs.push(fetchFile(run.getAttribute("data-dir") + "log.js").then(function (p) {
        setStatus(run, p.status, p.status_label);
        patchRunHead(run, p, fetchFile);
        return freshLog(p, fetchFile).then(function (fresh) {
          patchLog(run.querySelector(".run-log"), fresh, fetchFile);
          applyFilters();
        });
      }));
    }
    Promise.all(jobs.map(function (j) { return j && j.catch(function () {}); })).then(function () {
      live.build = id;
      live.busy = false;
      if (live.next && live.next !== id) {
        var next = live.next;
        live.next = null;
        liveUpdate(next);
      }
    });
  }

  function pollBuild() {
    if (live.stopped) return;
    if (document.querySelector(UNFINISHED)) {
      var script = document.createElement("script");
      script.onload = function () { script.remove(); };
      script.onerror = function () {
        script.remove();
        live.stopped = true; // no build stamp here: this site is not being rebuilt
      };
      script.src = root() + "build.js?t=" + Date.now();
      document.head.appendChild(script);
    }
    setTimeout(pollBuild, LIVE_POLL_MS);
  }

  function liveStart() {
    var listing = document.querySelector(".listing[data-count-all]");
    if (listing && !listing.rrCounting) listing.setAttribute("data-head", ""); // index or composer page
    var events = metaContent("runreport-live");
    if (events && window.EventSource) {
      live.build = metaContent("runreport-build") || null;
      var source = new EventSource(events);
      source.onmessage = function (e) { RunReport.build(e.data); };
      return;
    }
    if (document.querySelector(UNFINISHED)) pollBuild();
  }

  // --- end of live updates -----------------------------------------------------------

  function init() {
    var html = document.documentElement;
    html.classList.remove("no-js");
    html.classList.add("js");
    liveRegion = el("div", "sr");
    liveRegion.setAttribute("aria-live", "polite");
    document.body.appendChild(liveRegion);
    document.addEventListener("click", onClick);
    document.addEventListener("toggle", onToggle, true);
    window.addEventListener("hashchange", openHash);
    document.addEventListener("keydown", onKey);
    localTimes(document);
    filter = readFilter();
    var searchable = document.querySelector(".listing[data-search-chunks]");
    if (searchable) searchBox(searchable);
    applyFilters();
    var runData = document.querySelectorAll(".run-data");
    for (var i = 0; i < runData.length; i++) showOpenSections(runData[i]);
    // Entries the reader opened before this deferred script ran got no toggle event.
    var opened = document.querySelectorAll("li.entry > details[open]");
    for (var j = 0; j < opened.length; j++) showOpenSections(opened[j].parentNode);
    openHash();
    loadPartsLater();
    // Run pages do not carry the input's problem count (a new problem would rewrite every
    // one of them): it comes from one small data file.
    var problems = document.body.getAttribute("data-problems");
    if (problems) RunReport.load(problems).then(function (p) { patchProblems(p.count); }, function () {});
    liveStart();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
