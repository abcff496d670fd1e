  // Page script, part 6 of 12: loops you can fold. (The parts share one scope;
  // see 01-core.js.)

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

