  // Page script, part 10 of 12: what a newer build changes outside the logs. (The parts share one scope;
  // see 01-core.js.)

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

