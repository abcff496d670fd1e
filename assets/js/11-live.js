  // Page script, part 11 of 12: live updates. (The parts share one scope;
  // see 01-core.js.)

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

