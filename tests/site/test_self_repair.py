"""A damaged store or site is repaired by the next build, never trusted: whatever was
broken, the build after it writes what a fresh build writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_runs"


def _build(out: Path, store: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "runreport", "build", str(SAMPLES), "-o", str(out),
                           "--store", str(store)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def _tree(folder: Path) -> dict[str, bytes]:
    # (The manifest names the store folder, which differs between the two builds compared.)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".runreport-manifest.json"}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict[str, bytes]:
    base = tmp_path_factory.mktemp("fresh")
    _build(base / "site", base / "store")
    return _tree(base / "site")


def _store_runs(store: Path) -> list[Path]:
    return sorted((store / "runs").glob("*.rec"))


def _site_file(site: Path, pattern: str) -> Path:
    return sorted(site.glob(pattern))[0]


DAMAGE = {
    "a store run file deleted": lambda site, store: _store_runs(store)[3].unlink(),
    "a store run file cut short": lambda site, store: _store_runs(store)[3].write_bytes(
        _store_runs(store)[3].read_bytes()[:40]),
    "a store run file of garbage": lambda site, store: _store_runs(store)[3].write_bytes(b"\x00garbage\xff"),
    "two store run files swapped": lambda site, store: _swap(*_store_runs(store)[2:4]),
    "runs dropped from the store manifest": lambda site, store: _edit_json(
        store / "manifest.json", lambda m: {**m, "runs": dict(list(m["runs"].items())[:2])}),
    "the store manifest a folder": lambda site, store: _replace_with_folder(store / "manifest.json"),
    "the store manifest of the wrong types": lambda site, store: (store / "manifest.json").write_text(
        '{"format": [], "files": 7, "runs": "x"}'),
    "a run page cut short": lambda site, store: _cut(_site_file(site, "runs/r1116-*.html")),
    "a data file cut short": lambda site, store: _cut(_site_file(site, "data/r1116-*/*.js")),
    "a data file emptied": lambda site, store: _site_file(site, "data/r1116-*/*.js").write_bytes(b""),
    "a run page deleted": lambda site, store: _site_file(site, "runs/r1116-*.html").unlink(),
    "the site manifest of garbage": lambda site, store: (site / ".runreport-manifest.json").write_bytes(b"\xff{"),
    "an index row of another shape": lambda site, store: _edit_json(
        store / "manifest.json", lambda m: {**m, "runs": {k: {**v, "row": v["row"][:-1]} if n == 2 else v
                                                           for n, (k, v) in enumerate(m["runs"].items())}}),
    "a run's files in the site manifest garbled": lambda site, store: _edit_json(
        _manifest_block(site), lambda m: {
            k: [v[0], v[1], v[2].replace("\t", " ")] if n == 0 else v for n, (k, v) in enumerate(m.items())}),
    "a block of the site manifest deleted": lambda site, store: _manifest_block(site).unlink(),
    "a block of the site manifest of garbage": lambda site, store: _manifest_block(site).write_bytes(b"{\xff"),
}


def _manifest_block(site: Path) -> Path:
    return sorted((site / ".runreport-manifest.d").glob("*.json"))[1]


def _swap(a: Path, b: Path) -> None:
    data = a.read_bytes()
    a.write_bytes(b.read_bytes())
    b.write_bytes(data)


def _edit_json(path: Path, change) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("x")


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_the_build_after_any_damage_writes_what_a_fresh_build_writes(tmp_path, fresh, damage):
    site, store = tmp_path / "site", tmp_path / "store"
    _build(site, store)
    DAMAGE[damage](site, store)
    repaired = _build(site, store)
    assert _tree(site) == fresh
    if damage == "the store manifest a folder":
        assert f"warning: the store {store} was damaged" in repaired.stderr
    _build(site, store)  # and the build after that is as good
    assert _tree(site) == fresh


def test_summary_reads_through_a_damaged_store(tmp_path):
    store = tmp_path / "store"
    _build(tmp_path / "site", store)
    _store_runs(store)[3].write_bytes(b"\x00garbage\xff")
    done = subprocess.run([sys.executable, "-m", "runreport", "summary", str(SAMPLES), "--json",
                           "--store", str(store)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    clean = subprocess.run([sys.executable, "-m", "runreport", "summary", str(SAMPLES), "--json"],
                           capture_output=True, text=True, timeout=300)
    assert json.loads(done.stdout) == json.loads(clean.stdout)
