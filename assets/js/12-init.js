  // Page script, part 12 of 12: start-up. (The parts share one scope;
  // see 01-core.js.)

  // --- end of live updates -----------------------------------------------------------

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
    document.addEventListener("keydown", onKey);
    localTimes(document);
    filter = readFilter();
    var searchable = document.querySelector(".listing[data-search-chunks]");
    if (searchable) searchBox(searchable);
    applyFilters();
    var runData = document.querySelectorAll(".run-data");
    for (var i = 0; i < runData.length; i++) showOpenSections(runData[i]);
    // Entries the reader opened before this deferred script ran got no toggle event.
    var opened = document.querySelectorAll("li.entry > details[open]");
    for (var j = 0; j < opened.length; j++) showOpenSections(opened[j].parentNode);
    openHash();
    loadPartsLater();
    // Run pages do not carry the input's problem count (a new problem would rewrite every
    // one of them): it comes from one small data file.
    var problems = document.body.getAttribute("data-problems");
    if (problems) RunReport.load(problems).then(function (p) { patchProblems(p.count); }, function () {});
    liveStart();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
