"""The pure parts of the site: names, Markdown, redaction, JS escaping, size budgets, the CLI."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from runreport.cli import main
from runreport.model import Entry, Group, Run, Section
from runreport.pipeline import RunIndexRow
from runreport.site import build as site_build
from runreport.site import markdown, pagedata
from runreport.site.names import entry_anchor, safe_name
from runreport.site.redact import REDACTED, Redactor
from runreport.site.render import data_file, js_json

from conftest import FIXTURES, log_markup


# --- names -------------------------------------------------------------------------


@pytest.mark.parametrize("run_id", ["../x", "a/b", "x" * 200, "Größe ✓ 日本", "..", "", "CON", "a\\b"])
def test_file_names_are_safe_for_any_id(run_id):
    name = safe_name(run_id)
    assert re.fullmatch(r"[a-z0-9-]{1,51}", name)
    assert not name.startswith("-") and ".." not in name


def test_file_names_are_unique_even_by_case():
    ids = ["Run-1", "run-1", "RUN-1", "run 1", "run_1", "x" * 200, "x" * 199 + "y"]
    assert len({safe_name(i) for i in ids}) == len(ids)
    assert safe_name("Größe") == f"grosse-{safe_name('Größe')[-10:]}"


def test_entry_anchors_keep_plain_ids_and_hash_the_rest():
    assert entry_anchor("e3") == "entry-e3"
    for odd in ["a b", "x#y", "ü", "h-123", "<x>", "z" * 65]:
        assert re.fullmatch(r"entry-h-[0-9a-f]{10}", entry_anchor(odd))
    assert entry_anchor("A") != entry_anchor("a")


# --- markdown ----------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("# Title", True), ("- one\n- two", True), ("see [docs](https://x.y)", True),
    ("**bold** move", True), ("```\ncode\n```", True), ("| a | b |\n|---|---|\n| 1 | 2 |", True),
    ("just a sentence.", False), ("price: 3 * 4 = 12", False), ("#hashtag", False), ("", False),
])
def test_markdown_detection(text, expected):
    assert markdown.looks_like_markdown(text) is expected


def test_markdown_drops_unsafe_links_raw_html_and_images():
    html = markdown.render(
        "# T\n\n[a](javascript:alert(1)) [b](data:text/html,x) [c](VBScript:x) [d]( java\tscript:x)"
        " [ok](https://example.com)\n\n<script>alert(1)</script>\n\n![i](https://evil.example/i.png)"
    )
    assert "<h1>T</h1>" in html
    assert 'href="https://example.com"' in html
    assert "javascript" not in html.lower().replace("&lt;", "") or 'href="javascript' not in html.lower()
    assert not re.search(r'href="(javascript|data|vbscript)', html, re.I)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html


def test_markdown_map_uses_json_pointers():
    value = {"a/b": ["plain", "# head"], "c": {"d": "- x"}}
    assert sorted(markdown.markdown_map(value)) == ["/a~1b/1", "/c/d"]


# --- JS payloads -----------------------------------------------------------------------


def test_js_json_cannot_close_its_script_or_open_a_comment():
    text = data_file("k", {"s": "</script><!--\u2028\u2029&"})
    assert "</" not in text and "<!--" not in text and "\u2028" not in text and "\u2029" not in text
    inner = text[len("RunReport.receive("):-len(");\n")]
    key, payload = json.loads("[" + inner + "]")
    assert key == "k" and payload == {"s": "</script><!--\u2028\u2029&"}


def test_js_json_handles_huge_integers():
    assert json.loads(js_json({"n": 2 ** 70})) == {"n": 2 ** 70}


# --- redaction ----------------------------------------------------------------------------


def test_redaction_of_headers_keys_and_url_parameters():
    r = Redactor(["ssn"])
    value = {
        "headers": {"authorization": "Bearer x", "COOKIE": "a", "Set-Cookie": "b", "X-Api-Key": "k",
                    "Proxy-Authorization": "p", "Accept": "json"},
        "password": "p", "clientSecret": "s", "refresh_token": "t", "api_key": "a", "ssn": "1",
        "url": "https://x.example/a?page=2&access_token=abc&sig=1",
        "name": "kept",
    }
    out = r.value(value)
    assert out["headers"] == {k: REDACTED for k in value["headers"] if k != "Accept"} | {"Accept": "json"}
    for key in ("password", "clientSecret", "refresh_token", "api_key", "ssn"):
        assert out[key] == REDACTED
    # (`sig` is a signature, as in signed URLs: it is redacted too.)
    assert out["url"] == "https://x.example/a?page=2&access_token=[redacted]&sig=[redacted]"
    assert out["name"] == "kept"


def test_json_text_in_a_string_is_redacted_inside_and_kept_when_nothing_is_secret():
    r = Redactor()
    body = '{"username": "ann", "password": "hunter2", "items": [{"id": 1}]}'
    assert r.value({"body": body}) == {
        "body": '{"username":"ann","password":"[redacted]","items":[{"id":1}]}'}  # written compact
    # Nothing secret: the string is kept exactly, spaces and all.
    plain = ' [ {"username": "ann"},  {"id": 2} ]'
    assert r.value({"token_count": 3, "body": plain})["body"] is plain
    # JSON text inside JSON text, a \u-escaped key and escaped slashes are read as a parser reads them.
    nested = json.dumps({"request": '{"\\u0074oken": "t", "ok": 1}'})
    assert json.loads(json.loads(r.text(nested))["request"]) == {"token": REDACTED, "ok": 1}
    escaped = '{"url": "https:\\/\\/ann:hunter2@h.example\\/x"}'
    assert r.text(escaped) == '{"url":"https://ann:[redacted]@h.example/x"}'
    # JSON text nested deeper than the walk can go is hidden whole rather than failing the build.
    assert r.text("[" * 1000 + '{"token": 1}' + "]" * 1000) == REDACTED
    # Text that only looks like JSON stays as it is.
    for text in ("[redacted]", "[INFO] token refreshed", "{password}", "[1, 2, 3]"):
        assert r.text(text) is text


def test_form_encoded_strings_lose_the_values_of_secret_named_parameters():
    r = Redactor()
    assert r.text("grant_type=password&client_secret=s3cr3t") == "grant_type=password&client_secret=[redacted]"
    # Names are decoded like a query's; every other byte is kept as logged.
    assert r.text("a=%5B1%5D&%74oken=x&pass+word=y&b=c+d&flag") == \
        "a=%5B1%5D&%74oken=[redacted]&pass+word=[redacted]&b=c+d&flag"
    assert r.text("api_key=k") == "api_key=[redacted]"
    # Prose with an equals sign is not a form, but a NAME=value in it is an assignment
    # (an environment dump, a command line): a secret name's value is hidden there too.
    assert r.text("set token=abc to log in") == "set token=[redacted] to log in"
    assert r.text("token=a\nb") == "token=[redacted]\nb"
    for text in ("password = hunter2", "=token", "a=b c=d"):
        assert r.text(text) is text


def test_url_passwords_are_replaced_and_user_names_kept():
    r = Redactor()
    assert r.text("https://admin:hunter2@api.example.com/x") == "https://admin:[redacted]@api.example.com/x"
    assert r.text("https://admin:p@ss:w0rd@h.example:8443/x?page=2&token=t#top") == \
        "https://admin:[redacted]@h.example:8443/x?page=2&token=[redacted]#top"
    # Also inside longer text, such as an error message naming a connection URL.
    assert r.text("could not connect to postgres://app:hunter2@db:5432/main: timeout") == \
        "could not connect to postgres://app:[redacted]@db:5432/main: timeout"
    # A fragment carries tokens too (OAuth redirects).
    assert r.text("https://app.example/cb#access_token=abc&state=s") == \
        "https://app.example/cb#access_token=[redacted]&state=s"
    # No password: a user name alone, a port, an "@" in the path or in an e-mail address.
    for text in ("https://admin@h.example/x", "https://h.example:8080/x", "https://h.example/@ann:1",
                 "mail ann@x.example via https://h.example", "https://admin:@h.example/"):
        assert r.text(text) is text
    assert r.value({"u": "ftp://u:pw@h"}) == {"u": "ftp://u:[redacted]@h"}


# --- scale: the Runs page at 100,000 runs --------------------------------------------------


def _rows(n: int) -> list[RunIndexRow]:
    return [
        RunIndexRow(run_id=f"run-{i:06d}", composer=f"Composer {i % 7}", composer_id=None, mode="live",
                    status="failed" if i % 10 == 0 else "completed",
                    started_at=f"2026-11-20T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z",
                    ended_at=None, entry_count=12, has_error=i % 10 == 0, has_rejected=i % 25 == 0)
        for i in range(n)
    ]


def test_runs_page_stays_small_at_100000_runs_and_counts_hold_across_all(tmp_path):
    rows = _rows(100_000)
    report = site_build.BuildReport(out_dir=tmp_path)
    writer = site_build._Writer(tmp_path, report)
    site_build.write_listing(writer, rows, title="Runs", composer=None, problem_count=0)
    index = (tmp_path / "index.html").read_text()
    assets = sum(len(p.read_bytes()) for p in site_build.assets_dir().glob("runreport.*"))
    assert len(index.encode()) + assets < 500_000
    assert index.count('data-run-id="') == pagedata.PAGE_SIZE
    assert 'data-count-all="100000"' in index and 'data-count-errors="10000"' in index
    assert 'data-count-rejected="4000"' in index and 'data-count-either="12000"' in index
    assert (tmp_path / "runs" / "page-1000.html").is_file()
    assert not (tmp_path / "runs" / "page-1001.html").exists()
    # Every matching run is in the match index, in order, chunk by chunk (chunk 0 holds the
    # oldest, so a new run changes only the newest chunk).
    chunks = sorted((tmp_path / "data" / "match").glob("all-*.js"), key=lambda p: int(p.stem[4:]),
                    reverse=True)
    assert f'data-match-chunks="{len(chunks)}"' in index
    ids = []
    for path in chunks:
        text = path.read_text()
        payload = json.loads(text[text.index(",") + 1:-3])
        ids += [row[payload["fields"].index("run_id")] for row in payload["rows"]]
    assert ids == [r.run_id for r in rows if r.has_error or r.has_rejected]


# --- a 5,000-entry run page -------------------------------------------------------------------


def _entry(i: int, parent: str | None, depth: int, lineage: tuple) -> Entry:
    eid = f"e{i}"
    return Entry(
        entry_id=eid, name=f"Step number {i}", kind="http", automation="Main", step_id=f"s{i % 40}",
        parent_id=parent, status="success", display_status="success", depth=depth,
        lineage=lineage + (f"Step number {i}",), lineage_ids=(tuple(f"e{j}" for j in range(0)) if False else ()) + ((parent,) if parent else ()) + (eid,),
        badges=(f"iteration {i}",) if parent else (), iteration_index=i if parent else None, page=None,
        started_at="2026-11-20T10:00:00Z", ended_at="2026-11-20T10:00:01Z",
        summary=(("Method", "GET"), ("URL", f"https://api.example.com/items/{i}"), ("Status code", 200)),
        sections=(Section("input", {"id": i}), Section("output", {"ok": True, "n": i})),
        review=None, http_status=200, children=(), flagged=False, raw={},
    )


def test_a_5000_entry_run_page_stays_within_its_budget(tmp_path):
    n = 5000
    loop = Entry(entry_id="loop", name="For each item", kind="loop", automation="Main", step_id="loop",
                 parent_id=None, status="success", display_status="success", depth=0, lineage=("For each item",),
                 lineage_ids=("loop",), badges=(), iteration_index=None, page=None, started_at=None,
                 ended_at=None, summary=(), sections=(), review=None, http_status=None,
                 children=tuple(f"e{i}" for i in range(1, n)), flagged=False, raw={})
    entries = (loop,) + tuple(_entry(i, "loop", 1, ("For each item",)) for i in range(1, n))
    run = Run(run_id="big", composer="Big", composer_id="c1", mode="test", started_at="2026-11-20T10:00:00Z",
              ended_at="2026-11-20T10:09:00Z", status="completed", error=None, trigger=None, meta=None,
              groups=(Group("Main", "success", tuple(e.entry_id for e in entries)),), entries=entries, known=True)
    report = site_build.BuildReport(out_dir=tmp_path)
    site_build.write_run(site_build._Writer(tmp_path, report), run, site_build.BuildOptions(
        editor_url="https://app.example.com/c/{composer_id}?step={step_id}"), Redactor())
    html = (tmp_path / "runs" / f"{safe_name('big')}.html").read_bytes()
    assert len(html) <= site_build.RUN_PAGE_BASE_BUDGET + n * site_build.RUN_PAGE_ENTRY_BUDGET
    # The page holds the first part of the log; every entry is in it or in a part file.
    assert html.count(b'data-entry-id="') == pagedata.LOG_PART_ENTRIES
    parts = sorted((tmp_path / "data" / safe_name("big")).glob("log-*.js"))
    assert html.count(b'data-entry-id="') + sum(
        log_markup(p).count('data-entry-id="') for p in parts) == n
    assert b'"ok"' not in html  # values live in data files, not in the page
    values = sorted((tmp_path / "data" / safe_name("big")).glob("v-*.js"))
    assert len(values) > 1 and all(p.stat().st_size < 2 * pagedata.VALUES_FILE_BUDGET for p in values)


# --- the command ----------------------------------------------------------------------------


def test_build_command_reports_problems_and_strict_fails(tmp_path):
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", str(FIXTURES / "problems.jsonl"), "-o", str(out)])
    assert result.exit_code == 0
    assert re.search(r"problems\.jsonl:2: ", result.stderr)
    last = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"built .*: 1 runs?, 1 entr(y|ies), \d+ pages, [\d.]+ [kM]B in [\d.]+ s", last)
    strict = CliRunner().invoke(main, ["build", str(FIXTURES / "problems.jsonl"), "-o", str(out), "--strict"])
    assert strict.exit_code == 1
    assert (out / "index.html").is_file() and (out / "problems.html").is_file()
    clean = CliRunner().invoke(main, ["build", str(FIXTURES / "filters.jsonl"), "-o", str(out), "--strict"])
    assert clean.exit_code == 0


def test_editor_url_from_flag_and_config(tmp_path, monkeypatch):
    log = tmp_path / "in.jsonl"
    log.write_text(
        '{"type":"run","run_id":"r/1","composer":"C","composer_id":"c 1","mode":"live","started_at":"2026-11-20T10:00:00Z"}\n'
        '{"type":"step","run_id":"r/1","entry_id":"e1","step_id":"s&1","name":"S","status":"success"}\n'
        '{"type":"step","run_id":"r/1","entry_id":"e2","name":"No step id","status":"success"}\n')
    template = "https://app.example.com/composers/{composer_id}/canvas?step={step_id}"
    result = CliRunner().invoke(main, ["build", str(log), "-o", str(tmp_path / "a"), "--editor-url", template])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "a" / "runs" / f"{safe_name('r/1')}.html").read_text()
    assert 'href="https://app.example.com/composers/c%201/canvas?step=s%261"' in page
    assert page.count('class="edit"') == 1  # e2 has no step id: no button
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runreport.toml").write_text(f'editor_url = "{template}"\nredact_keys = ["name"]\n')
    CliRunner().invoke(main, ["build", str(log), "-o", str(tmp_path / "b")])
    assert 'class="edit"' in (tmp_path / "b" / "runs" / f"{safe_name('r/1')}.html").read_text()
    no_config = CliRunner().invoke(main, ["build", str(log), "-o", str(tmp_path / "c"), "--config",
                                          str(tmp_path / "missing.toml")])
    assert no_config.exit_code != 0 and "missing.toml" in no_config.output


def test_bad_config_keys_are_all_reported(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('editor = "x"\nredact = "yes"\n')
    result = CliRunner().invoke(main, ["build", str(FIXTURES / "filters.jsonl"), "-o", str(tmp_path / "s"),
                                       "--config", str(cfg)])
    assert result.exit_code != 0
    assert "'editor'" in result.output and "'redact'" in result.output


def test_a_redact_key_that_is_not_a_regular_expression_is_a_config_error(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('redact_keys = ["ssn", "[", "(a"]\n')
    result = CliRunner().invoke(main, ["build", str(FIXTURES / "filters.jsonl"), "-o", str(tmp_path / "s"),
                                       "--config", str(cfg)])
    assert result.exit_code == 1
    assert f"{cfg}: 'redact_keys'[1] is not a regular expression: unterminated character set" in result.output
    assert f"{cfg}: 'redact_keys'[2] is not a regular expression: missing )" in result.output
    assert not (tmp_path / "s").exists()


def test_a_folder_of_other_files_is_never_built_into(tmp_path):
    # `-o .` in a project: a build would replace index.html and sweep data/, runs/, assets/.
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "important.csv").write_text("keep me\n")
    (project / "index.html").write_text("<p>my page</p>\n")
    for command in (["build"], ["watch"], ["serve", "--port", "0"]):
        result = CliRunner().invoke(main, [*command, str(FIXTURES / "filters.jsonl"), "-o", str(project)])
        assert result.exit_code == 1, (command, result.output)
        assert f"{project} is not empty and holds no runreport site" in result.output
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == [
        "data", "data/important.csv", "index.html"]
    assert (project / "index.html").read_text() == "<p>my page</p>\n"
    # A new folder, an empty one, and a site built before (even mid-way, manifest gone) are built into.
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new", empty, empty):
        assert CliRunner().invoke(main, ["build", str(FIXTURES / "filters.jsonl"), "-o", str(out)]).exit_code == 0
    (empty / ".runreport-manifest.json").unlink()
    (empty / "data" / "stale.js").write_text("left by an interrupted build\n")
    assert CliRunner().invoke(main, ["build", str(FIXTURES / "filters.jsonl"), "-o", str(empty)]).exit_code == 0
    assert not (empty / "data" / "stale.js").exists()


def test_a_leap_second_is_a_time_the_pages_show():
    # The records check accepts "…:60Z" (RFC 3339); pages read times with the same parser.
    from runreport.site.pagedata import human_time, machine_time
    from runreport.timefmt import duration_text

    assert machine_time("2026-12-31T23:59:60Z") == "2026-12-31T23:59:59Z"
    assert human_time("2026-12-31T23:59:60+00:00") == "2026-12-31 23:59:59 UTC"
    assert duration_text("2026-12-31T23:59:57Z", "2026-12-31T23:59:60Z") == "2 s"
    assert machine_time("2026-02-30T10:00:00Z") is None  # not a calendar date: not a time


def test_a_value_nested_too_deep_to_walk_is_redacted_whole_not_a_failed_build():
    from runreport.site.redact import REDACTED, Redactor

    deep: dict = {"password": "hunter2"}
    for _ in range(990):
        deep = {"level": deep}
    assert Redactor().value(deep) == REDACTED
    assert Redactor().value({"level": {"plain": 1}}) == {"level": {"plain": 1}}


def test_a_value_nested_as_deep_as_a_record_may_be_is_built_and_shown(tmp_path):
    from runreport.read import MAX_DEPTH

    value: object = "bottom"
    for _ in range(MAX_DEPTH - 1):  # the step record is level 1, its output level 2
        value = {"l": value}
    log = tmp_path / "deep.jsonl"
    log.write_text(json.dumps({"type": "run", "run_id": "r1", "composer": "C", "mode": "test",
                               "started_at": "2026-11-20T10:00:00Z"}) + "\n" +
                   json.dumps({"type": "step", "run_id": "r1", "entry_id": "e1", "name": "Deep",
                               "status": "success", "output": value}) + "\n")
    result = CliRunner().invoke(main, ["build", str(log), "-o", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "bottom" in (tmp_path / "site" / "data" / safe_name("r1") / "v-0.js").read_text()


def test_a_link_inside_the_output_never_leads_a_build_outside_it(tmp_path):
    import subprocess
    import sys

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the site's")
    (elsewhere / "nested").mkdir()
    (elsewhere / "nested" / "keep2.txt").write_text("neither")
    out = tmp_path / "site"
    out.mkdir()
    (out / ".runreport-site").write_text("")
    (out / "data").symlink_to(elsewhere, target_is_directory=True)
    (out / "runs").mkdir()
    (out / "runs" / "old").symlink_to(elsewhere / "nested", target_is_directory=True)
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "spec_example.jsonl"
    for jobs in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "runreport", "build", str(fixture), "-o", str(out),
                               "--store", str(tmp_path / f"store{jobs}")],
                              capture_output=True, text=True, timeout=300, env={**os.environ, "RUNREPORT_JOBS": jobs})
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in elsewhere.rglob("*")) == ["keep.txt", "keep2.txt", "nested"]
        assert (out / "data").is_dir() and not (out / "data").is_symlink()
        assert not (out / "runs" / "old").exists()
        (out / ".runreport-manifest.json").unlink()  # the next build is a full one again


def test_the_page_script_is_written_by_concern_and_shipped_as_one_script(site):
    from runreport.site.build import page_script
    from runreport.site.render import assets_dir

    parts = sorted((assets_dir() / "js").glob("*.js"))
    assert len(parts) >= 8
    for part in parts:  # each short enough to read in one sitting
        assert len(part.read_text(encoding="utf-8").splitlines()) <= 420, part.name
    shipped = (site("samples") / "assets" / "runreport.js").read_text(encoding="utf-8")
    assert shipped == page_script(assets_dir()) == "".join(p.read_text(encoding="utf-8") for p in parts)
    assert shipped.startswith("/* runreport page script") and shipped.rstrip().endswith("})();")
