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
  var ARRAY_STEP = 20; // array items shown at once in the UI view
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
    var timer = setTimeout(function () {
      fail("did not load in time");
    }, LOAD_TIMEOUT_MS);
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
    return n.toLocaleString("en-US") + (n === 1 ? " run" : " runs");
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
      t.textContent = d.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
    }
  }

  // --- copy ----------------------------------------------------------------------

  function copyFallback(text) {
    var ta = el("textarea", "offscreen");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.setAttribute("aria-hidden", "true");
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(ta);
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

  function uiValue(v, ptr, md) {
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
          }
          more.textContent = "Load more (" + (v.length - shown) + " more items)";
          ol.appendChild(more);
        } else if (more && more.parentNode) {
          more.parentNode.removeChild(more);
        }
      };
      reveal();
      return ol;
    }
    var keys = Object.keys(v);
    if (!keys.length) return el("span", "scalar", "{}");
    var table = el("table", "kv");
    var tbody = el("tbody");
    for (var i = 0; i < keys.length; i++) {
      var tr = el("tr");
      var th = el("th", "", keys[i]);
      th.scope = "row";
      var td = el("td");
      td.appendChild(uiValue(v[keys[i]], ptr + "/" + escapePointer(keys[i]), md));
      tr.appendChild(th);
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    table.appendChild(tbody);
    return table;
  }

  function rawValue(v) {
    var wrap = el("div", "raw-view");
    var text = JSON.stringify(v, null, 2);
    var copy = button("copy-raw", "Copy", "copy");
    copy.appendChild(el("span", "sr", " raw JSON"));
    wrap.appendChild(copy);
    wrap.appendChild(el("pre", "raw", text === undefined ? "undefined" : text));
    return wrap;
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
        var entry = payload.entries && payload.entries[holder.getAttribute("data-entry-id")];
        found = entry && entry.sections && entry.sections[key];
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
    body.textContent = "";
    body.appendChild(raw ? rawValue(data.value) : uiValue(data.value, "", data.md || {}));
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
        drawSection(sec);
      },
      function (err) {
        loadError(body, err);
      }
    );
  }

  function showOpenSections(scope) {
    var secs = scope.querySelectorAll(".sec");
    for (var i = 0; i < secs.length; i++) {
      sectionParts(secs[i]);
      if (secs[i].querySelector("[data-act=section]").getAttribute("aria-expanded") === "true") showSection(secs[i]);
    }
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
    if (value) params.set("filter", value);
    else params.delete("filter");
    var qs = params.toString();
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
  function filterLog(log) {
    if (!log) return true;
    var entries = log.querySelectorAll(".entry");
    var on = filterOn();
    var keep = Object.create(null);
    var matched = false;
    var i;
    if (on) {
      for (i = 0; i < entries.length; i++) {
        if (!matches(entries[i].getAttribute("data-own-status"))) continue;
        matched = true;
        keep[entries[i].getAttribute("data-i")] = true;
        var anc = (entries[i].getAttribute("data-anc") || "").split(" ");
        for (var k = 0; k < anc.length; k++) if (anc[k]) keep[anc[k]] = true;
      }
    }
    for (i = 0; i < entries.length; i++) entries[i].hidden = on && !keep[entries[i].getAttribute("data-i")];
    var groups = log.querySelectorAll(".group");
    for (i = 0; i < groups.length; i++) groups[i].hidden = on && !groups[i].querySelector(".entry:not([hidden])");
    return !on || matched;
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
    var status = el("span", "status st-" + r.status);
    var icon = el("span", "ic ic-" + r.status);
    icon.setAttribute("aria-hidden", "true");
    status.appendChild(icon);
    status.appendChild(document.createTextNode(r.status_label));
    head.appendChild(status);
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
    meta.appendChild(document.createTextNode(" · "));
    meta.appendChild(el("code", "run-id", r.run_id));
    if (showComposer) {
      meta.appendChild(document.createTextNode(" · "));
      var c = el("a", "", "all runs of this composer");
      c.href = root() + r.composer_href;
      meta.appendChild(c);
    }
    card.appendChild(meta);
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
    var chunk = 0;
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
      if (shown >= limit || chunk >= chunks) {
        more.hidden = shown >= total || chunk >= chunks;
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
            chunk++;
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
      setCount(ok ? 1 : 0);
      var timeline = log.querySelector(".timeline");
      if (timeline) timeline.hidden = !ok;
      log.querySelector("[data-empty]").hidden = ok;
    }
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
    RunReport.load(btn.getAttribute("data-log")).then(
      function (payload) {
        box.innerHTML = payload.html; // rendered by the build's template engine, autoescaped
        localTimes(box);
        filterLog(box.querySelector(".run-log"));
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
    if (!entry) return;
    var details = entry.querySelector("details");
    if (details && !details.open) details.open = true;
    else if (details) showOpenSections(entry);
    entry.scrollIntoView({ block: "start" });
    var summary = entry.querySelector("summary");
    if (summary) summary.focus({ preventScroll: true });
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
      copyFrom(btn, btn.parentNode.querySelector("pre").textContent);
    } else if (act === "more" && btn.rrMore) {
      btn.rrMore();
    }
  }

  function onToggle(event) {
    var details = event.target;
    if (details.tagName !== "DETAILS" || !details.open) return;
    var entry = details.closest(".entry");
    if (entry) showOpenSections(entry);
  }

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
    localTimes(document);
    filter = readFilter();
    applyFilters();
    var runData = document.querySelectorAll(".run-data");
    for (var i = 0; i < runData.length; i++) showOpenSections(runData[i]);
    openHash();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
