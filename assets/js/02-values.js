  // Page script, part 2 of 12: values in the UI and Raw views. (The parts share one scope;
  // see 01-core.js.)

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

