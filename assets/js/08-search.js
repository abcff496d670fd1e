  // Page script, part 8 of 12: search across all runs. (The parts share one scope;
  // see 01-core.js.)

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

