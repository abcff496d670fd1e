  // Page script, part 4 of 12: Save Output to Library: the dialog. (The parts share one scope;
  // see 01-core.js.)

  // --- Save Output to Library: the dialog ----------------------------------------
  //
  // Offered on an entry's Step Output once the whole value is loaded. On a static
  // site it shows the `runreport library save` command and a download of the test
  // case file that save would write (merged here exactly like
  // runreport.library.test_case_json). Under `runreport serve` (the page then has
  // <meta name="runreport-live-token">) its Save button asks the server to save;
  // the server reads the value from the run log itself.

  var SAVE_DATA = "data/save.js";
  var NEW = "\u0000new";
  var NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;
  var SEGMENT_RE = /^[A-Za-z0-9_-]+$/;
  var save = null; // the dialog's state, built on first use

  function offerSave(sec) {
    if (sec.getAttribute("data-section") !== "output" || !sec.closest("li.entry[data-entry-id]")) return;
    if (sec.querySelector("[data-act=save-output]") || fullValue(sec) === undefined) return;
    var b = button("save-output", "Save Output to Library", "save-output");
    sec.insertBefore(b, sec.querySelector(".sec-body"));
  }

  /** The default variable path of a step (as runreport.library.default_variable_path). */
  RunReport.defaultVariablePath = function (stepName) {
    var slug = String(stepName).toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    slug = slug.slice(0, 100).replace(/_+$/, "") || "unnamed";
    return "step." + slug + ".output";
  };

  function validVarPath(path) {
    return path.length > 0 && path.length <= 200 && path.split(".").every(function (s) { return SEGMENT_RE.test(s); });
  }

  /** POSIX shell quoting, as Python's shlex.quote. */
  RunReport.shellQuote = function (s) {
    if (s === "") return "''";
    if (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(s)) return s;
    return "'" + s.replace(/'/g, "'\"'\"'") + "'";
  };

  // Python's float repr: exponent below 1e-4 and from 1e16, two-digit exponent at least.
  function pyNumber(n) {
    if (!isFinite(n)) throw new Error("value cannot be stored as JSON: " + n);
    if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
    var m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(n.toExponential());
    var sign = m[1], digits = m[2] + (m[3] || ""), exp = +m[4];
    if (exp >= -4 && exp < 16) {
      if (exp < 0) return sign + "0." + new Array(-exp).join("0") + digits;
      while (digits.length <= exp) digits += "0";
      return sign + digits.slice(0, exp + 1) + "." + (digits.slice(exp + 1) || "0");
    }
    var e = Math.abs(exp);
    return sign + m[2] + (m[3] ? "." + m[3] : "") + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + e;
  }

  // Python sorts keys by code point; JavaScript strings compare UTF-16 units.
  function unitRank(c) {
    return c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c;
  }
  function byCodePoint(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i), y = b.charCodeAt(i);
      if (x !== y) return unitRank(x) - unitRank(y);
    }
    return a.length - b.length;
  }

  /** JSON as Python's json.dumps(sort_keys=True, indent=2, ensure_ascii=False) writes it. */
  function pyDumps(v, ind) {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number") return pyNumber(v);
    if (typeof v === "string") return JSON.stringify(v);
    var inner = ind + "  ";
    var out = [];
    if (Array.isArray(v)) {
      if (!v.length) return "[]";
      for (var i = 0; i < v.length; i++) out.push(inner + pyDumps(v[i], inner));
      return "[\n" + out.join(",\n") + "\n" + ind + "]";
    }
    var keys = Object.keys(v).sort(byCodePoint);
    if (!keys.length) return "{}";
    for (var k = 0; k < keys.length; k++) out.push(inner + JSON.stringify(keys[k]) + ": " + pyDumps(v[keys[k]], inner));
    return "{\n" + out.join(",\n") + "\n" + ind + "}";
  }

  function copyObject(o) {
    var c = Object.create(null);
    for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) c[k] = o[k];
    return c;
  }

  /** The case file a save writes, byte for byte (runreport.library.test_case_json). */
  RunReport.testCaseJson = function (prompt, kase, varPath, value, source, existing, replace) {
    if (!NAME_RE.test(prompt)) throw new Error("invalid prompt name " + JSON.stringify(prompt) + ": use 1-100 letters, digits, '-', '_' or '.', not starting with '.'");
    if (!NAME_RE.test(kase)) throw new Error("invalid case name " + JSON.stringify(kase) + ": use 1-100 letters, digits, '-', '_' or '.', not starting with '.'");
    if (!validVarPath(varPath)) throw new Error("invalid variable path " + JSON.stringify(varPath) + ": use dot-separated segments of letters, digits, '_' or '-'");
    var base = existing == null ? { prompt: prompt, "case": kase, variables: {} } : existing;
    var variables = base.variables;
    if (!variables || typeof variables !== "object" || Array.isArray(variables)) throw new Error("test case " + prompt + "/" + kase + ": expected 'variables' to be an object");
    if (Object.prototype.hasOwnProperty.call(variables, varPath) && !replace) {
      throw new Error("variable " + JSON.stringify(varPath) + " already exists in test case " + prompt + "/" + kase + "; tick Replace to overwrite it, or choose another variable path");
    }
    var doc = copyObject(base);
    doc.prompt = prompt;
    doc["case"] = kase;
    var vars = copyObject(variables);
    vars[varPath] = { value: value, source: copyObject(source) };
    doc.variables = vars;
    return pyDumps(doc, "") + "\n";
  };

  function utcNow() {
    return new Date().toISOString().replace(/\.\d+Z$/, "Z");
  }

  function liveToken() {
    var meta = document.querySelector('meta[name="runreport-live-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  function field(id, label, control) {
    var box = el("div", "field");
    var l = el("label", "", label);
    l.htmlFor = id;
    control.id = id;
    box.appendChild(l);
    box.appendChild(control);
    return box;
  }

  function textInput() {
    var i = el("input");
    i.type = "text";
    i.spellcheck = false;
    i.autocomplete = "off";
    return i;
  }

  function buildDialog() {
    var d = el("dialog", "save-dialog");
    d.setAttribute("aria-labelledby", "rr-save-title");
    d.appendChild(el("h2", "", "Save Output to Library")).id = "rr-save-title";
    var what = d.appendChild(el("p", "save-what"));
    var s = { dialog: d, what: what, data: null, token: 0, url: null };
    s.varInput = textInput();
    d.appendChild(field("rr-save-var", "Variable path", s.varInput));
    s.prompt = el("select");
    d.appendChild(field("rr-save-prompt", "Prompt", s.prompt));
    s.promptNew = textInput();
    s.promptNewBox = d.appendChild(field("rr-save-prompt-new", "New prompt name", s.promptNew));
    s.kase = el("select");
    d.appendChild(field("rr-save-case", "Test case", s.kase));
    s.caseNew = textInput();
    s.caseNewBox = d.appendChild(field("rr-save-case-new", "New test case name", s.caseNew));
    s.replace = el("input");
    s.replace.type = "checkbox";
    var rep = d.appendChild(el("div", "field check"));
    rep.appendChild(s.replace);
    s.replace.id = "rr-save-replace";
    var rl = rep.appendChild(el("label", "", "Replace the variable if the test case already has it"));
    rl.htmlFor = "rr-save-replace";
    s.problem = d.appendChild(el("p", "load-error save-problem"));
    s.problem.setAttribute("role", "alert");
    s.problem.hidden = true;
    s.staticBox = d.appendChild(el("div", "save-static"));
    s.staticBox.appendChild(el("p", "", "Run this command where the site was built (it reads the run log itself):"));
    s.hint = s.staticBox.appendChild(el("p", "note save-hint", "Choose a prompt and a test case (or name new ones) to see the command."));
    var pre = s.staticBox.appendChild(el("pre", "save-command"));
    s.commandBox = pre;
    s.command = pre.appendChild(el("code"));
    s.command.id = "rr-save-command";
    var actions = s.staticBox.appendChild(el("p", "save-actions"));
    actions.appendChild(button("save-copy", "Copy command", "copy-command"));
    actions.appendChild(document.createTextNode(" "));
    s.download = actions.appendChild(el("a", "save-download", "Download test case JSON"));
    s.liveBox = d.appendChild(el("div", "save-live"));
    s.liveBox.appendChild(button("save-live", "Save", "save-live-button"));
    s.result = s.liveBox.appendChild(el("p", "save-result"));
    s.result.setAttribute("role", "status");
    var close = d.appendChild(el("p", "save-close"));
    close.appendChild(button("save-close", "Close"));
    // Problems are shown once the reader has changed something, never on opening.
    d.addEventListener("input", function () {
      s.touched = true;
      updateSave();
    });
    d.addEventListener("change", function (ev) {
      s.touched = true;
      if (ev.target === s.prompt) fillCases();
      updateSave();
    });
    d.addEventListener("close", function () {
      if (s.opener && document.contains(s.opener)) s.opener.focus();
    });
    document.body.appendChild(d);
    return s;
  }

  function option(value, text) {
    var o = el("option", "", text);
    o.value = value;
    return o;
  }

  function fillPrompts() {
    var prompts = (save.data && save.data.prompts) || [];
    var keep = save.prompt.value;
    save.prompt.textContent = "";
    var first = null;
    var known = false;
    for (var i = 0; i < prompts.length; i++) {
      save.prompt.appendChild(option(prompts[i].name, prompts[i].name));
      if (prompts[i].name === keep) known = true;
      if (!first && prompts[i].cases.length) first = prompts[i].name;
    }
    save.prompt.appendChild(option(NEW, "New prompt…"));
    // Keep a prompt chosen before (or "New…" the reader picked); else the first with cases.
    if (known || (keep === NEW && save.touched)) save.prompt.value = keep;
    else save.prompt.value = first || (prompts.length ? prompts[0].name : NEW);
    fillCases();
  }

  function chosenPrompt() {
    var prompts = (save.data && save.data.prompts) || [];
    for (var i = 0; i < prompts.length; i++) if (prompts[i].name === save.prompt.value) return prompts[i];
    return null;
  }

  function fillCases() {
    var p = chosenPrompt();
    var cases = p ? p.cases : [];
    save.kase.textContent = "";
    for (var i = 0; i < cases.length; i++) save.kase.appendChild(option(cases[i].name, cases[i].name));
    save.kase.appendChild(option(NEW, "New test case…"));
    save.kase.value = cases.length ? cases[0].name : NEW;
  }

  /** The dialog's current choice: names, flags and the case's library entry. */
  function choice() {
    var p = chosenPrompt();
    var promptName = save.prompt.value === NEW ? save.promptNew.value.trim() : save.prompt.value;
    var caseName = save.kase.value === NEW ? save.caseNew.value.trim() : save.kase.value;
    var known = null;
    if (p) for (var i = 0; i < p.cases.length; i++) if (p.cases[i].name === caseName) known = p.cases[i];
    return {
      prompt: promptName, kase: caseName, varPath: save.varInput.value.trim(),
      create: !p || !known, replace: save.replace.checked, known: known,
    };
  }

  function saveCommand(c) {
    var q = RunReport.shellQuote;
    var t = save.target;
    var parts = ["runreport", "library", "save", "--run", q(t.runId), "--entry", q(t.entryId),
                 "--prompt", q(c.prompt), "--case", q(c.kase)];
    if (c.varPath !== t.defaultPath) parts.push("--var", q(c.varPath));
    if (c.create) parts.push("--create");
    if (c.replace) parts.push("--replace");
    if (save.data && save.data.library) parts.push("--library", q(save.data.library));
    var inputs = (save.data && save.data.inputs) || [];
    for (var i = 0; i < inputs.length; i++) parts.push(q(inputs[i]));
    return parts.join(" ");
  }

  function problemOf(c) {
    if (!validVarPath(c.varPath)) return "The variable path must be dot-separated segments of letters, digits, '_' or '-' (at most 200 characters).";
    if (!NAME_RE.test(c.prompt)) return "Choose a prompt, or type a new prompt name: 1-100 letters, digits, '-', '_' or '.', not starting with '.'.";
    if (!NAME_RE.test(c.kase)) return "Choose a test case, or type a new test case name: 1-100 letters, digits, '-', '_' or '.', not starting with '.'.";
    return null;
  }

  function setProblem(text) {
    save.problem.textContent = text || "";
    save.problem.hidden = !text;
  }

  function setDownload(text, name) {
    if (save.url) URL.revokeObjectURL(save.url);
    save.url = null;
    if (text === null) {
      save.download.removeAttribute("href");
      save.download.hidden = true;
      return;
    }
    save.url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    save.download.href = save.url;
    save.download.setAttribute("download", name + ".json");
    save.download.hidden = false;
  }

  function updateSave() {
    if (!save || !save.target) return;
    var token = ++save.token;
    save.promptNewBox.hidden = save.prompt.value !== NEW;
    save.caseNewBox.hidden = save.kase.value !== NEW;
    var c = choice();
    var problem = problemOf(c);
    setProblem(save.touched ? problem : null);
    save.hint.hidden = !problem || save.touched;
    save.commandBox.hidden = !!problem;
    save.command.textContent = problem ? "" : saveCommand(c);
    save.staticBox.querySelector(".save-actions").hidden = !!problem;
    save.liveBox.querySelector("button").disabled = !!problem;
    if (problem) return setDownload(null);
    var t = save.target;
    var source = { run_id: t.runId, entry_id: t.entryId, step_id: t.stepId, step_name: t.stepName, saved_at: utcNow() };
    var existing = c.known && c.known.src ? RunReport.load(c.known.src).then(function (p) { return p.doc; }) : Promise.resolve(null);
    existing.then(function (doc) {
      if (token !== save.token) return;
      try {
        setDownload(RunReport.testCaseJson(c.prompt, c.kase, c.varPath, t.value, source, doc, c.replace), c.kase);
      } catch (e) {
        setDownload(null);
        setProblem(e.message);
      }
    }, function (err) {
      if (token !== save.token) return;
      setDownload(null);
      setProblem("Could not read the test case to merge with: " + err.message);
    });
  }

  function openSaveDialog(sec) {
    var full = fullValue(sec);
    var entry = sec.closest("li.entry[data-entry-id]");
    var run = sec.closest("[data-run-id]");
    if (!full || !entry || !run) return;
    if (!save) save = buildDialog();
    var info = sec.rrSave || {};
    var name = info.step_name || entry.querySelector("summary > b").textContent;
    save.target = {
      runId: run.getAttribute("data-run-id"), entryId: entry.getAttribute("data-entry-id"),
      stepId: info.step_id === undefined ? null : info.step_id, stepName: name,
      value: full.value, defaultPath: RunReport.defaultVariablePath(name),
    };
    save.opener = sec.querySelector("[data-act=save-output]");
    save.what.textContent = "Step Output of " + name + " (entry " + save.target.entryId + " of run " + save.target.runId + ")";
    save.varInput.value = save.target.defaultPath;
    save.replace.checked = false;
    save.touched = false;
    save.result.textContent = "";
    var live = liveToken();
    save.liveBox.hidden = !live;
    save.staticBox.hidden = !!live;
    if (!save.dialog.open) save.dialog.showModal();
    save.varInput.focus();
    RunReport.load(SAVE_DATA).then(
      function (data) {
        save.data = data;
        fillPrompts();
        updateSave();
      },
      function () {
        save.data = null; // no choices: new names only, and no input paths
        fillPrompts();
        updateSave();
      }
    );
    fillPrompts();
    updateSave();
  }

  /** Under `runreport serve`: ask the server to save (it reads the value from the run log). */
  function saveLive(btn) {
    var c = choice();
    if (problemOf(c)) return;
    var t = save.target;
    btn.disabled = true;
    save.result.textContent = "Saving…";
    var body = { run_id: t.runId, entry_id: t.entryId, prompt: c.prompt, "case": c.kase,
                 "var": c.varPath, create: c.create, replace: c.replace };
    fetch(root() + "__runreport/library", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Runreport-Token": liveToken() },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: "the server answered " + r.status }; });
    }).then(function (answer) {
      save.result.textContent = answer.ok
        ? "Saved into " + answer.path + (answer.redacted ? " (secret values saved as [redacted], as this page shows them)" : "")
        : "Not saved: " + answer.error;
    }, function (err) {
      save.result.textContent = "Not saved: " + err.message;
    }).then(function () {
      btn.disabled = false;
    });
  }

