  // Page script, part 7 of 12: log parts of large runs, cards, entries and deep links. (The parts share one scope;
  // see 01-core.js.)

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

