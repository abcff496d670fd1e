"""Large values in chunk files: splitting, Load more, sizes, a missing chunk, the page budget."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import orjson
import pytest
from playwright.sync_api import expect

from runreport.site import BuildOptions
from runreport.site.build import RUN_PAGE_BASE_BUDGET, RUN_PAGE_ENTRY_BUDGET
from runreport.site.chunks import (DEFAULT_CHUNK_SIZE, FIRST_VIEW_BUDGET, Packer, split_text,
                                   split_value, with_items)
from runreport.site.render import data_file
from runreport.site.names import safe_name

from conftest import FIXTURES, build
from conftest import data_payload as payload

sys.path.insert(0, str(FIXTURES))
import bigruns  # noqa: E402

RUN_PAGE = f"runs/{safe_name(bigruns.RUN)}.html"
DATA = f"data/{safe_name(bigruns.RUN)}/"


def mb(n: int) -> str:
    return f"{n / 1e3:.1f} kB" if n < 1e6 else f"{n / 1e6:.1f} MB"


def descriptor(site, entry_id, key="output"):
    for f in sorted(site.glob(DATA + "v-*.js")):
        _, p = payload(f)
        if entry_id in p["entries"]:
            return p["entries"][entry_id]["sections"][key]
    raise AssertionError(entry_id)


# --- the pure split ----------------------------------------------------------


def test_split_text_never_cuts_a_character():
    text = "aé€😀" * 1000
    pieces = split_text(text, 7)
    assert "".join(pieces) == text
    assert all(0 < len(p.encode()) <= 7 for p in pieces)


def test_arrays_split_by_items_and_sizes_add_up():
    value = [{"id": i, "s": "x" * 50} for i in range(300)]
    c = split_value(value, "data/r/c-0-", 2048)
    d = c.descriptor["chunks"]
    assert d["mode"] == "items" and d["count"] == 300 and sum(d["items"]) == 300
    joined = [item for _, part in c.files for item in part["items"]]
    assert joined == value
    assert d["total"] == sum(d["bytes"]) == len(orjson.dumps(value))
    assert [src for src, _ in c.files] == d["src"] == [f"data/r/c-0-{j}.js" for j in range(len(c.files))]


def test_other_values_split_as_compact_text_with_markdown_after():
    # An object of many keys has no array to split at: its compact JSON is cut into pieces.
    value = {"doc": "# Title\n\nsome **bold** text", "rows": {f"r{i}": i for i in range(2000)}}
    c = split_value(value, "p/c-1-", 1024)
    d = c.descriptor["chunks"]
    assert d["mode"] == "text"
    text = "".join(part.get("text", "") for _, part in c.files)
    assert json.loads(text) == value and text.startswith('{"doc":"# Title')
    md = {k: v for _, part in c.files for k, v in part.get("md", {}).items()}
    assert "<strong>bold</strong>" in md["/doc"]
    assert d["total"] == sum(d["bytes"]) == len(orjson.dumps(value)) + sum(
        len(k) + len(v.encode()) for k, v in md.items())


def chunk_file_bytes(c) -> int:
    return sum(len(data_file(src, part).encode()) for src, part in c.files)


def reassembled(c):
    """The value back from the chunk files as written (parsed from their JavaScript text)."""
    d = c.descriptor["chunks"]
    parts = []
    for src, part in c.files:
        m = re.fullmatch(r"RunReport\.receive\((\"[^\"]*\"),(.*)\);\n", data_file(src, part), re.S)
        assert json.loads(m.group(1)) == src
        parts.append(json.loads(m.group(2)))
    if d["mode"] == "text":
        return json.loads("".join(p.get("text", "") for p in parts))
    items = [item for p in parts for item in p["items"]]
    assert [p["start"] for p in parts] == [sum(d["items"][:j]) for j in range(len(parts))]
    return with_items(d.get("shell"), d.get("path", []), items)


def records(n: int, extra: str = "") -> list[dict]:
    return [{"id": i, "name": f"Zoë Ærø {i}{extra}", "email": f"r{i}@example.com", "tags": ["a", "b"]}
            for i in range(n)]


@pytest.mark.parametrize("value, path", [
    ({"export": records(15_000)}, ["export"]),                       # the benchmark's ~2 MB output
    ({"a": {"b": records(6_000)}, "meta": {"page": 1}}, ["a", "b"]),  # nested, beside small members
])
def test_a_value_whose_bulk_is_a_nested_array_is_split_by_its_items(value, path):
    c = split_value(value, "data/r/c-0-", DEFAULT_CHUNK_SIZE)
    d = c.descriptor["chunks"]
    compact = len(orjson.dumps(value))
    assert d["mode"] == "items" and d["path"] == path and len(d["src"]) >= 2
    assert d["count"] == sum(d["items"]) == len(value[path[0]] if len(path) == 1 else value["a"]["b"])
    # The rest of the value travels in the descriptor, the array left empty.
    assert d["shell"] == with_items(value, path, [])
    # Chunk files weigh about what the value weighs (the pretty text took ~1.8 times as much).
    assert chunk_file_bytes(c) <= 1.1 * compact
    assert d["total"] == sum(d["bytes"]) == compact
    assert all(len(data_file(src, part)) < DEFAULT_CHUNK_SIZE * 1.15 for src, part in c.files)
    assert reassembled(c) == value


def test_nested_items_carry_markdown_under_the_path_and_the_shell_its_own():
    value = {"data": {"title": "# Leads", "rows": [{"note": f"**hot** lead {i}", "n": i} for i in range(400)]}}
    c = split_value(value, "data/r/c-0-", 4096)
    d = c.descriptor["chunks"]
    assert d["mode"] == "items" and d["path"] == ["data", "rows"]
    assert "<h1>Leads</h1>" in d["md"]["/data/title"]
    md = {k: v for _, part in c.files for k, v in part.get("md", {}).items()}
    assert sorted(md, key=lambda p: int(p.split("/")[3])) == [f"/data/rows/{i}/note" for i in range(400)]
    assert "<strong>hot</strong> lead 399" in md["/data/rows/399/note"]
    assert d["total"] == sum(d["bytes"])
    assert reassembled(c) == value


HOSTILE = "Grüße </script><!-- \u2028 ☃ 😀 \"quoted\" back\\slash"


@pytest.mark.parametrize("value, mode", [
    ({"export": records(300, HOSTILE)}, "items"),
    ({"deep": {"er": {"rows": records(300, HOSTILE)}}, HOSTILE: HOSTILE}, "items"),
    ([records(1, HOSTILE)[0], "x" * 5000], "text"),                    # an item larger than a chunk
    ({"rows": {f"k{i}": HOSTILE for i in range(300)}}, "text"),         # no array at all
    ({"rows": records(300, HOSTILE), "big": ["y" * 100] * 40}, "text"),  # the shell would be too big
])
def test_chunks_give_back_the_value_exactly(value, mode):
    c = split_value(value, "data/r/c-3-", 4096)
    assert c.descriptor["chunks"]["mode"] == mode
    assert reassembled(c) == value
    for src, part in c.files:
        text = data_file(src, part)
        assert "</script" not in text and "<!--" not in text and "\u2028" not in text
    # The same value splits into the same bytes every time.
    again = split_value(value, "data/r/c-3-", 4096)
    assert [data_file(s, p) for s, p in again.files] == [data_file(s, p) for s, p in c.files]
    assert again.descriptor == c.descriptor


def test_small_values_stay_inline_and_an_entry_never_outweighs_a_chunk():
    packer = Packer("data/r/", {"kind": "values"}, chunk_size=4096, budget=4096)
    packer.add("small", [("output", [1, 2, 3])])
    # Three sections of 3 kB each: together over one chunk, so two go to chunk files.
    packer.add("wide", [(k, "y" * 3000) for k in ("input", "output", "error")])
    # (Inline values are their JSON text, written as it is: compare what a page reads.)
    entries = {k: v for f in packer.packed.values for k, v in orjson.loads(orjson.dumps(f))["entries"].items()}
    assert entries["small"]["sections"]["output"] == {"value": [1, 2, 3]}
    wide = entries["wide"]["sections"]
    assert wide["input"] == {"value": "y" * 3000}
    assert "chunks" in wide["output"] and "chunks" in wide["error"]
    assert all(len(orjson.dumps(f)) <= 4096 + 200 for f in packer.packed.values)


def test_the_build_writes_chunk_files_for_large_outputs_only(chunk_site):
    site = chunk_site[0]
    obj = descriptor(site, "e-obj")["chunks"]
    assert obj["mode"] == "text" and len(obj["src"]) > 15
    assert obj["total"] > 4_500_000  # its compact JSON
    arr = descriptor(site, "e-arr")["chunks"]
    assert arr["mode"] == "items" and arr["count"] == 1000 and len(arr["src"]) >= 2
    assert descriptor(site, "e-small")["value"][0] == {"id": 0, "tag": "tëst"}
    for src in obj["src"] + arr["src"]:
        key, part = payload(site / src)
        assert key == src and part["kind"] == "chunk"
        assert (site / src).stat().st_size < DEFAULT_CHUNK_SIZE * 1.15


def test_build_option_and_config_set_the_chunk_size(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from runreport.cli import main

    log = bigruns.write_chunk_log(tmp_path / "big.jsonl")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    Path("runreport.toml").write_text("chunk_size = 1000\n")
    bad = runner.invoke(main, ["build", str(log), "-o", "s"])
    assert bad.exit_code != 0 and "'chunk_size' must be at least 1024 bytes" in bad.output
    Path("runreport.toml").write_text("chunk_size = 100000\n")
    ok = runner.invoke(main, ["build", str(log), "-o", "s"])
    assert ok.exit_code == 0, ok.output
    assert len(list((tmp_path / "s" / DATA).glob("c-1-*.js"))) >= 3  # a 300 kB array / 100 kB
    ok = runner.invoke(main, ["build", str(log), "-o", "t", "--chunk-size", "2000000"])
    assert ok.exit_code == 0, ok.output
    chunked = {f.name.split("-")[1] for f in (tmp_path / "t" / DATA).glob("c-*.js")}
    assert chunked == {"0"}  # only the 5 MB object


# --- the page budget -----------------------------------------------------------


def test_fifty_mb_run_keeps_page_and_first_view_payload_in_budget(tmp_path):
    log = bigruns.write_fifty_mb_log(tmp_path / "50mb.jsonl")
    assert log.stat().st_size > 50_000_000
    out = tmp_path / "site"
    build([log], out, BuildOptions())
    run_dir = out / "data" / safe_name("r-50mb")
    html = (out / "runs" / f"{safe_name('r-50mb')}.html").stat().st_size
    assert html <= RUN_PAGE_BASE_BUDGET + 200 * RUN_PAGE_ENTRY_BUDGET
    assert html < 400_000
    # First view of any entry: its values file plus the first chunk of each of its values.
    worst = 0
    for f in run_dir.glob("v-*.js"):
        _, p = payload(f)
        for e in p["entries"].values():
            first = sum((out / s["chunks"]["src"][0]).stat().st_size
                        for s in e["sections"].values() if "chunks" in s)
            worst = max(worst, f.stat().st_size + first)
    assert 0 < worst <= FIRST_VIEW_BUDGET


# --- in the browser --------------------------------------------------------------



def open_output(page, url, entry_id):
    page.goto(url("chunks", f"{RUN_PAGE}#entry-{entry_id}"))
    sec = page.locator(f'[data-entry-id="{entry_id}"] [data-section="output"]')
    toggle = sec.locator("[data-act=section]")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return sec


@pytest.mark.browser
def test_object_output_loads_chunk_by_chunk_until_save_appears(page, url, chunk_site):
    site = chunk_site[0]
    d = descriptor(site, "e-obj")["chunks"]
    sec = open_output(page, url, "e-obj")
    status = sec.locator(".chunk-status")
    expect(status).to_have_text(f"{mb(d['bytes'][0])} of {mb(d['total'])} loaded")
    # The UI view shows the text so far, indented as the whole will be; no Save button before the end.
    pretty = json.dumps(bigruns.big_object(5_000_000), indent=2, ensure_ascii=False)
    expect(sec.locator("pre.raw")).to_contain_text('"report": "quarterly"')
    so_far = sec.locator("pre.raw").evaluate("e => e.textContent")
    assert len(so_far) > 200_000 and pretty.startswith(so_far)
    expect(sec.locator("p.note")).to_contain_text("Partly loaded")
    assert sec.locator("[data-act=save-output]").count() == 0
    for n in range(2, len(d["src"]) + 1):
        sec.locator(".chunks [data-act=more]").click()
        expect(status).to_have_text(f"{mb(sum(d['bytes'][:n]))} of {mb(d['total'])} loaded")
        if n < len(d["src"]):
            assert sec.locator("[data-act=save-output]").count() == 0
    # Complete: the UI view renders the object, Load more is gone, Save Output appears.
    expect(sec.locator("[data-act=save-output]")).to_be_visible()
    assert sec.locator(".chunks [data-act=more]").count() == 0
    expect(sec.locator("table.kv th").first).to_have_text("report")
    # The Raw view shows the whole value's pretty JSON.
    sec.locator('[data-view="raw"]').click()
    assert sec.locator("pre.raw").evaluate("e => e.textContent") == pretty
    # Every chunk was loaded exactly once.
    srcs = page.eval_on_selector_all("script[src]", "s => s.map(e => e.getAttribute('src'))")
    chunk_srcs = [s for s in srcs if "/c-0-" in s]
    assert len(chunk_srcs) == len(set(chunk_srcs)) == len(d["src"])
    assert page.page_errors == []


@pytest.mark.browser
def test_array_shows_20_then_40_and_save_after_the_last_chunk(page, url, chunk_site):
    site = chunk_site[0]
    d = descriptor(site, "e-arr")["chunks"]
    sec = open_output(page, url, "e-arr")
    items = sec.locator(".sec-body > ol.items > li")
    expect(items).to_have_count(20)
    status = sec.locator(".chunk-status")
    expect(status).to_have_text(f"20 of 1,000 items shown · {mb(d['bytes'][0])} of {mb(d['total'])} loaded")
    expect(items.first).to_contain_text("Lead 0")
    sec.locator(".chunks [data-act=more]").click()
    expect(items).to_have_count(40)
    expect(items.nth(39)).to_contain_text("Lead 39")
    assert sec.locator("[data-act=save-output]").count() == 0
    # The Raw view shows every loaded item and loads one more chunk per Load more.
    sec.locator('[data-view="raw"]').click()
    for n in range(2, len(d["src"]) + 1):
        sec.locator(".chunks [data-act=more]").click()
        loaded = sum(d["items"][:n])
        expect(status).to_have_text(
            f"{loaded:,} of 1,000 items shown · {mb(sum(d['bytes'][:n]))} of {mb(d['total'])} loaded")
    expect(sec.locator("[data-act=save-output]")).to_be_visible()
    assert len(json.loads(sec.locator(".raw").inner_text())) == 1000
    assert page.page_errors == []


@pytest.mark.browser
def test_small_array_pages_by_20_and_offers_save_at_once(page, url, chunk_site):
    sec = open_output(page, url, "e-small")
    items = sec.locator(".sec-body > ol.items > li")
    expect(items).to_have_count(20)
    expect(sec.locator("[data-act=save-output]")).to_be_visible()
    sec.locator("ol.items + [data-act=more]").click()
    expect(items).to_have_count(40)
    sec.locator("ol.items + [data-act=more]").click()
    expect(items).to_have_count(45)


@pytest.mark.browser
def test_unknown_fields_show_in_other_fields_redacted(page, url, chunk_site):
    page.goto(url("chunks", f"{RUN_PAGE}#entry-e-unknown"))
    entry = page.locator('[data-entry-id="e-unknown"]')
    toggles = entry.locator("[data-act=section]")
    expect(toggles).to_have_text(["Step Input", "Other fields"])
    other = entry.locator('[data-section="other"]')
    other.locator("[data-act=section]").click()
    expect(other.locator(".sec-body > table.kv > tbody > tr > th")).to_have_text(["x_custom", "x_flag"])
    other.locator('[data-view="raw"]').click()
    raw = json.loads(other.locator(".raw").inner_text())
    assert raw == {"x_custom": {"api_token": "[redacted]", "note": "kept as logged"}, "x_flag": True}
    assert page.page_errors == []


@pytest.mark.browser
def test_a_missing_chunk_shows_a_message_in_place_and_the_page_still_works(
        page, scheme, chunk_site, www, http_root):
    src = chunk_site[0]
    copy = www / "sub" / f"chunks-broken-{scheme}"
    if not copy.exists():
        shutil.copytree(src, copy)
        d = descriptor(copy, "e-arr")["chunks"]
        (copy / d["src"][1]).unlink()  # the second chunk of the array is gone
        (copy / descriptor(copy, "e-obj")["chunks"]["src"][0]).write_text("RunReport.receive(")
    base = copy.as_uri() + "/" if scheme == "file" else f"{http_root}/sub/{copy.name}/"
    page.goto(base + RUN_PAGE + "#entry-e-arr")
    sec = page.locator('[data-entry-id="e-arr"] [data-section="output"]')
    sec.locator('[data-view="raw"]').click()
    sec.locator(".chunks [data-act=more]").click()
    expect(sec.locator(".load-error")).to_contain_text("is missing or could not be read")
    expect(sec.locator(".raw")).to_be_visible()  # what was loaded stays
    assert sec.locator("[data-act=save-output]").count() == 0
    # A damaged first chunk: the message in place of the data.
    obj = page.locator('[data-entry-id="e-obj"]')
    obj.locator("summary").click()
    expect(obj.locator(".load-error")).to_be_visible()
    # The rest of the page works: another entry opens and shows its data.
    small = page.locator('[data-entry-id="e-small"]')
    small.locator("summary").click()
    expect(small.locator("ol.items > li")).to_have_count(20)


# --- in the browser: values split at a nested array ----------------------------------

NESTED_RUN = "r-nested"
NESTED_CHUNK = 8192


def export_value() -> dict:
    """The benchmark's big output in small: {"export": [records]}, a Markdown note in each."""
    return {"export": [{"id": i, "name": f"Zoë {i} </script>", "email": f"r{i}@example.com",
                        "note": f"**hot** lead {i}", "score": i / 10, "tags": ["a", "b"]}
                       for i in range(300)]}


def deep_value() -> dict:
    return {"data": {"title": "# Leads", "rows": [{"n": i, "label": f"row {i} · Zürich"} for i in range(600)]},
            "page": 1}


@pytest.fixture(scope="module")
def nested_site(www, tmp_path_factory):
    """www/sub/nested/: a run whose outputs are split at a nested array (8 KiB chunks)."""
    out = www / "sub" / "nested"
    if not out.exists():
        log = tmp_path_factory.mktemp("nested") / "nested.jsonl"
        rows = [{"v": 1, "type": "run", "run_id": NESTED_RUN, "composer": "Nested", "mode": "test",
                 "started_at": "2026-11-20T10:00:00Z"}]
        for entry_id, value in (("e-export", export_value()), ("e-deep", deep_value())):
            rows.append({"type": "step", "run_id": NESTED_RUN, "entry_id": entry_id, "name": "Export",
                         "automation": "Main", "status": "success", "output": value})
        rows.append({"type": "run_end", "run_id": NESTED_RUN, "status": "completed",
                     "ended_at": "2026-11-20T10:00:09Z"})
        log.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        build([log], out, BuildOptions(chunk_size=NESTED_CHUNK))
    return out


def nested_descriptor(site, entry_id):
    _, p = payload(site / f"data/{safe_name(NESTED_RUN)}/v-0.js")
    return p["entries"][entry_id]["sections"]["output"]["chunks"]


def open_nested(page, url, entry_id):
    page.goto(url("nested", f"runs/{safe_name(NESTED_RUN)}.html#entry-{entry_id}"))
    sec = page.locator(f'[data-entry-id="{entry_id}"] [data-section="output"]')
    expect(sec.locator(".chunk-status")).to_be_visible()
    return sec


@pytest.mark.browser
def test_export_output_shows_items_in_place_loads_them_all_then_offers_save(page, url, nested_site):
    value = export_value()
    d = nested_descriptor(nested_site, "e-export")
    assert d["mode"] == "items" and d["path"] == ["export"] and len(d["src"]) >= 4
    sec = open_nested(page, url, "e-export")
    # The UI view: the object's "export" row holds the first 20 items, Markdown rendered.
    row = sec.locator(".sec-body > table.kv > tbody > tr")
    expect(row.locator(":scope > th")).to_have_text(["export"])
    items = row.locator(":scope > td > ol.items > li")
    expect(items).to_have_count(20)
    expect(items.first).to_contain_text("Zoë 0 </script>")
    expect(items.first.locator(".md strong")).to_have_text("hot")
    status = sec.locator(".chunk-status")
    expect(status).to_have_text(f"20 of 300 items shown · {mb(d['bytes'][0])} of {mb(d['total'])} loaded")
    assert sec.locator("[data-act=save-output]").count() == 0
    # Load more at that array, 20 items at a time, until all are in.
    more = row.locator(":scope > td > .chunks [data-act=more]")
    for shown in range(40, 301, 20):
        more.click()
        expect(items).to_have_count(shown)
        if shown < 300:
            assert sec.locator("[data-act=save-output]").count() == 0
    expect(items.nth(299)).to_contain_text("Zoë 299")
    expect(items.nth(299).locator(".md strong")).to_have_text("hot")
    expect(status).to_have_text(f"300 of 300 items shown · {mb(d['total'])} of {mb(d['total'])} loaded")
    assert status.get_attribute("data-loaded-bytes") == status.get_attribute("data-total-bytes")
    assert sec.locator(".chunks [data-act=more]").count() == 0
    expect(sec.locator("[data-act=save-output]")).to_be_visible()
    # The Raw view: the whole value as pretty JSON, with no partial note; Copy copies it.
    sec.locator('[data-view="raw"]').click()
    assert json.loads(sec.locator(".raw").inner_text()) == value
    assert sec.locator("p.note", has_text="Partly loaded").count() == 0
    sec.locator("[data-act=copy-raw]").click()
    page.wait_for_function("() => window.__copied.length > 0")
    copied = page.evaluate("() => window.__copied[window.__copied.length - 1]")
    assert copied.startswith('{\n  "export": [\n    {\n      "id": 0,') and json.loads(copied) == value
    # Save Output to Library carries the whole value.
    sec.locator("[data-act=save-output]").click()
    dialog = page.locator("dialog.save-dialog")
    page.get_by_label("New prompt name").fill("exports")
    page.get_by_label("New test case name").fill("all")
    with page.expect_download() as dl:
        dialog.locator(".save-download").click()
    doc = json.loads(open(dl.value.path(), encoding="utf-8").read())
    assert doc["variables"]["step.export.output"]["value"] == value
    srcs = page.eval_on_selector_all("script[src]", "s => s.map(e => e.getAttribute('src'))")
    assert sorted(s for s in srcs if "/c-0-" in s) == sorted("../" + s for s in d["src"])  # each once
    assert page.page_errors == []


@pytest.mark.browser
def test_raw_view_of_a_nested_split_says_partial_until_the_last_chunk(page, url, nested_site):
    value = deep_value()
    d = nested_descriptor(nested_site, "e-deep")
    assert d["path"] == ["data", "rows"] and len(d["src"]) >= 3
    sec = open_nested(page, url, "e-deep")
    # The shell's own Markdown and members are there, the items at data › rows.
    expect(sec.locator("table.kv .md h1")).to_have_text("Leads")
    expect(sec.locator("table.kv table.kv ol.items > li")).to_have_count(20)
    expect(sec.locator(".sec-body > table.kv > tbody > tr > th")).to_have_text(["data", "page"])
    sec.locator('[data-view="raw"]').click()
    note = sec.locator("p.note", has_text="Partly loaded")
    expect(note).to_contain_text(f"first {d['items'][0]} of 600 items at /data/rows")
    partial = json.loads(sec.locator(".raw").inner_text())
    assert partial == {"data": {"title": "# Leads", "rows": value["data"]["rows"][:d["items"][0]]}, "page": 1}
    status = sec.locator(".chunk-status")
    for n in range(2, len(d["src"]) + 1):
        sec.locator(".chunks [data-act=more]").click()
        expect(status).to_contain_text(f"{sum(d['items'][:n])} of 600 items shown")
    expect(note).to_have_count(0)
    assert json.loads(sec.locator(".raw").inner_text()) == value
    expect(sec.locator("[data-act=save-output]")).to_be_visible()
    assert page.page_errors == []

