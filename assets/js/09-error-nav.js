  // Page script, part 9 of 12: next / previous error. (The parts share one scope;
  // see 01-core.js.)

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

