  // Page script, part 5 of 12: the Errors / Rejected filters, listings and their counts. (The parts share one scope;
  // see 01-core.js.)

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
    // As logmarkup.card_html (src/runreport/site/logmarkup.py) writes it.
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

  /** A card's "what went wrong" line, as logmarkup.said_html (src/runreport/site/logmarkup.py) writes it. */
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

