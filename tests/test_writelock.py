"""One writer at a time: a second build into the same site waits, or says who is writing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from runreport.live.watch import Watcher
from runreport.site.build import BuildOptions
from runreport.writelock import writing

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "sample_runs"


def _build(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runreport", "build", str(SAMPLES), "-o", str(out),
                           *extra], capture_output=True, text=True, timeout=300)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".runreport-manifest.json"}


def test_a_build_into_a_site_being_written_says_who_writes_it(tmp_path):
    out = tmp_path / "site"
    with writing(out, tmp_path / ".site.store"):
        done = _build(out, "--wait", "0")
    assert done.returncode == 1
    assert f"another build is writing {out} (pid {os.getpid()})" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "index.html").exists()  # nothing was written


def test_a_build_waits_for_the_other_writer_then_builds(tmp_path):
    out = tmp_path / "site"
    release = threading.Event()

    def hold():
        with writing(out, tmp_path / ".site.store"):
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    threading.Timer(1.5, release.set).start()
    done = _build(out, "--wait", "60")
    holder.join()
    assert done.returncode == 0, done.stderr
    assert f"waiting: another build is writing {out}" in done.stderr
    assert (out / "index.html").is_file()


def test_two_builds_at_once_give_the_site_one_build_gives(tmp_path):
    out = tmp_path / "site"
    procs = [subprocess.Popen([sys.executable, "-m", "runreport", "build", str(SAMPLES), "-o", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert not any("Traceback" in e for e in errors)
    fresh = tmp_path / "fresh"
    assert _build(fresh).returncode == 0
    assert _files(out) == _files(fresh)


def test_watch_holds_the_site_only_while_it_writes(tmp_path):
    out, store = tmp_path / "site", tmp_path / "store"
    said: list[str] = []
    watcher = Watcher([SAMPLES], out, BuildOptions(), store, echo=said.append)
    assert watcher.build() is not None
    with writing(out, store, wait=0):  # free again once the build is written
        pass
    # A build started while another writes waits for it, then builds.
    release = threading.Event()

    def hold():
        with writing(out, store):
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    threading.Timer(1.0, release.set).start()
    assert watcher.build() is not None
    holder.join()
    assert any(line.startswith(f"waiting: another build is writing {out}") for line in said)


def test_a_new_folder_whose_marker_another_build_is_writing_is_still_ours(tmp_path):
    # Two builds of a new folder at once: one may look while the other's marker is a temp
    # file still; that is no foreign file. Anything else is.
    from runreport.site.build import SITE_MARKER, ForeignOutput, claim_output

    from runreport.atomic import staged

    out = tmp_path / "site"
    out.mkdir()
    with staged(out / SITE_MARKER, b"being written") as tmp:  # (as write_bytes stages it)
        assert Path(tmp).parent == out
        claim_output(out)
    assert (out / SITE_MARKER).is_file()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    try:
        claim_output(other)
    except ForeignOutput:
        pass
    else:
        raise AssertionError("a folder of other files was claimed")


def test_a_folder_another_build_claims_while_it_is_listed_is_still_ours(tmp_path, monkeypatch):
    # The other build writes its marker, then its lock and pages, while this one lists the
    # folder: what the listing shows is that build's, and its marker is there by the end.
    from runreport.site.build import SITE_MARKER, claim_output
    from runreport.writelock import SITE_LOCK

    out = tmp_path / "site"
    out.mkdir()
    real_iterdir = Path.iterdir

    def iterdir_while_claimed(self):
        if self == out:
            for name, text in ((SITE_MARKER, "marker"), (SITE_LOCK, ""), ("index.html", "<!doctype html>")):
                (out / name).write_text(text)
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir_while_claimed)
    claim_output(out)  # (raised ForeignOutput when the marker was looked for before the listing)
