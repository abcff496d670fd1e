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
                                   split_value)
from runreport.site.names import safe_name

from conftest import FIXTURES, build

sys.path.insert(0, str(FIXTURES))
import bigruns  # noqa: E402

RUN_PAGE = f"runs/{safe_name(bigruns.RUN)}.html"
DATA = f"data/{safe_name(bigruns.RUN)}/"


def mb(n: int) -> str:
    return f"{n / 1e3:.1f} kB" if n < 1e6 else f"{n / 1e6:.1f} MB"


def payload(path):
    text = path.read_text(encoding="utf-8")
    m = re.fullmatch(r"RunReport\.receive\((\"[^\"]*\"),(.*)\);\n", text, re.S)
    return json.loads(m.group(1)), json.loads(m.group(2))


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


def test_other_values_split_as_pretty_text_with_markdown_after():
    value = {"doc": "# Title\n\nsome **bold** text", "rows": list(range(2000))}
    c = split_value(value, "p/c-1-", 1024)
    d = c.descriptor["chunks"]
    assert d["mode"] == "text"
    text = "".join(part.get("text", "") for _, part in c.files)
    assert json.loads(text) == value and text.startswith('{\n  "doc"')
    md = {k: v for _, part in c.files for k, v in part.get("md", {}).items()}
    assert "<strong>bold</strong>" in md["/doc"]
    assert d["total"] == sum(d["bytes"])


def test_small_values_stay_inline_and_an_entry_never_outweighs_a_chunk():
    packer = Packer("data/r/", {"kind": "values"}, chunk_size=4096, budget=4096)
    packer.add("small", [("output", [1, 2, 3])])
    # Three sections of 3 kB each: together over one chunk, so two go to chunk files.
    packer.add("wide", [(k, "y" * 3000) for k in ("input", "output", "error")])
    entries = {k: v for f in packer.packed.values for k, v in f["entries"].items()}
    assert entries["small"]["sections"]["output"] == {"value": [1, 2, 3]}
    wide = entries["wide"]["sections"]
    assert wide["input"] == {"value": "y" * 3000}
    assert "chunks" in wide["output"] and "chunks" in wide["error"]
    assert all(len(orjson.dumps(f)) <= 4096 + 200 for f in packer.packed.values)


def test_the_build_writes_chunk_files_for_large_outputs_only(chunk_site):
    site = chunk_site[0]
    obj = descriptor(site, "e-obj")["chunks"]
    assert obj["mode"] == "text" and len(obj["src"]) > 15
    assert obj["total"] > 5_000_000
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
    # The UI view shows the raw text so far; no Save button before the end.
    expect(sec.locator("pre.raw")).to_contain_text('"report": "quarterly"')
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
