  // Page script, part 3 of 12: large values in chunk files, loaded on demand. (The parts share one scope;
  // see 01-core.js.)

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

