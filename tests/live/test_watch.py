"""`runreport watch`: the site follows the run logs as they are appended, rotated, cut and removed."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from runreport.live import watch as watch_mod
from runreport.live.watch import Watcher
from runreport.site.build import BuildOptions
from runreport.site.names import safe_name

from polling import wait_for

RUN = "w-1"


def line(record: dict) -> str:
    return json.dumps(record) + "\n"


START = {"v": 1, "type": "run", "run_id": RUN, "composer": "Watcher", "mode": "test",
         "started_at": "2026-11-20T10:00:00Z"}
STEP_RUNNING = {"type": "step", "run_id": RUN, "entry_id": "e1", "name": "Fetch page",
                "status": "running", "input": {"url": "https://example.com"}}
STEP_DONE = {"type": "step", "run_id": RUN, "entry_id": "e1", "status": "success",
             "output": {"title": "Example Domain"}}
END = {"type": "run_end", "run_id": RUN, "ended_at": "2026-11-20T10:00:03Z"}


def other_run(rid: str) -> list[dict]:
    return [{"v": 1, "type": "run", "run_id": rid, "composer": "Other", "mode": "live",
             "started_at": "2026-11-20T09:00:00Z"},
            {"type": "run_end", "run_id": rid, "ended_at": "2026-11-20T09:00:01Z"}]


class Watching:
    """A Watcher running in a thread over `inputs`, stopped at the end of the test."""

    def __init__(self, tmp: Path, inputs: list[Path], source: str = "runlog", between_steps: float = 0):
        self.out = tmp / "site"
        self.lines: list[str] = []
        self.watcher = Watcher(inputs, self.out, BuildOptions(), tmp / "store", echo=self.lines.append,
                               source=source, between_steps=between_steps)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        # A write before the file watcher has started is still seen: the watcher
        # compares the files' stat signature every second (watch.CHECK_MS).
        wait_for(lambda: self.builds() >= 1, "the first build")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the watcher did not stop"

    def builds(self) -> int:
        return sum(1 for s in self.lines if s.startswith(("built ", "rebuilt ")))

    def text(self, rel: str) -> str:
        return (self.out / rel).read_text()

    def card_status(self, rid: str = RUN) -> str | None:
        html = self.text("index.html")
        marker = f'data-run-id="{rid}" data-status="'
        if marker not in html:
            return None
        return html.split(marker, 1)[1].split('"', 1)[0]

    def log(self, rid: str = RUN) -> str:
        return self.text(f"data/{safe_name(rid)}/log.js")


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def test_the_site_follows_a_run_step_by_step(tmp_path):
    log = tmp_path / "logs" / "today.jsonl"
    log.parent.mkdir()
    log.touch()
    with Watching(tmp_path, [log]) as w:
        assert "No runs in the input." in w.text("index.html")

        append(log, line(START))
        assert wait_for(lambda: w.card_status() == "running")
        run_page = f"runs/{safe_name(RUN)}.html"

        append(log, line(STEP_RUNNING))
        wait_for(lambda: 'data-entry-id="e1" data-status="running"' in w.text(run_page))
        # A build writes a run's log before its value files: wait for those too.
        wait_for(lambda: "example.com" in w.text(f"data/{safe_name(RUN)}/v-0.js"))
        assert "Example Domain" not in w.text(f"data/{safe_name(RUN)}/v-0.js")

        append(log, line(STEP_DONE))
        wait_for(lambda: 'data-entry-id="e1" data-status="success"' in w.text(run_page))
        wait_for(lambda: "Example Domain" in w.text(f"data/{safe_name(RUN)}/v-0.js"))
        # No entry is running any more: the run counts as completed (format rule).
        assert wait_for(lambda: w.card_status() == "completed")
        assert "took " not in w.text(run_page)

        append(log, line(END))
        wait_for(lambda: "took 3 s" in w.text(run_page))
        # The run page is written before the run's log file.
        wait_for(lambda: '"status":"completed"' in w.log() and '"duration":"3 s"' in w.log())
    assert w.lines[0].startswith(f"built {w.out}: 0 runs rendered, ")
    assert all(s.startswith("rebuilt ") and " rendered, " in s for s in w.lines[1:])
    assert any(s.startswith(f"rebuilt {w.out}: 1 run rendered, ") for s in w.lines)


def test_a_followed_run_stays_running_between_its_steps_then_shows_what_it_is(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START))
    with Watching(tmp_path, [log], between_steps=3) as w:
        run_page = f"runs/{safe_name(RUN)}.html"
        append(log, line(STEP_RUNNING))
        wait_for(lambda: 'data-entry-id="e1" data-status="running"' in w.text(run_page))
        builds = w.builds()
        append(log, line(STEP_DONE))
        # Its only step is done and no run_end came: the format says Completed; the run
        # is still being written, so the site says Running (card, run page, its log file).
        wait_for(lambda: 'data-entry-id="e1" data-status="success"' in w.text(run_page))
        assert w.card_status() == "running"
        assert '"status":"running"' in w.log()
        assert 'class="status st-running"' in w.text(run_page) or "st-running" in w.text(run_page)
        # Three quiet seconds later it is rebuilt once and shows what the format derives.
        assert wait_for(lambda: w.card_status() == "completed", timeout=15)
        assert wait_for(lambda: '"status":"completed"' in w.log())
        import time
        time.sleep(1.0)  # (the settling build says so after it has written the pages)
        rebuilt = w.builds()
        assert rebuilt >= builds + 2
        time.sleep(2.5)
        assert w.builds() == rebuilt  # (no rebuild loop once it has settled)


def test_rows_shown_running_between_steps_carry_the_hash_that_says_so(tmp_path):
    """Listing and insights pages are keyed by their rows' content hashes: a row shown
    Running between steps carries another hash than the same row settled, so the pages
    that show it are made again when it settles."""
    from runreport import pipeline
    from runreport.live.watch import BetweenSteps

    log = tmp_path / "run.jsonl"
    log.write_text(line(START) + line(STEP_RUNNING) + line(STEP_DONE))
    loaded = pipeline.load([log], store_dir=tmp_path / "store")
    shown = BetweenSteps(loaded, {RUN})
    (row,) = shown.index
    assert row.status == "running" and loaded.index[0].status == "completed"
    assert row.content_hash == shown.content_hash(RUN) != loaded.index[0].content_hash


def test_runs_finished_before_watching_began_show_what_the_format_derives(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START) + line(STEP_RUNNING) + line(STEP_DONE))  # no run_end, long done
    with Watching(tmp_path, [log], between_steps=60) as w:
        assert w.card_status() == "completed"
        append(log, "".join(line(r) for r in other_run("w-2")))
        assert wait_for(lambda: w.card_status("w-2") == "completed")
        assert w.card_status() == "completed"  # (not seen growing: only w-2 was)


def test_a_finished_run_edited_in_place_is_not_seen_growing(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START) + line(STEP_RUNNING) + line(STEP_DONE))  # no run_end
    with Watching(tmp_path, [log], between_steps=60) as w:
        assert w.card_status() == "completed"
        builds = w.builds()
        text = log.read_text()
        log.write_text(text.replace("Example Domain", "Example Dominion"[:14]))  # same length, in place
        wait_for(lambda: w.builds() > builds, "a rebuild after the edit")
        wait_for(lambda: "Example Domini" in w.text(f"data/{safe_name(RUN)}/v-0.js"))
        assert w.card_status() == "completed"  # its content changed; it got no new record


def test_a_half_written_last_line_waits_until_it_is_complete(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START))
    with Watching(tmp_path, [log]) as w:
        text = line(END)
        builds = w.builds()
        append(log, text[:20])
        # The file changed, so the watcher rebuilds once; the half line is not read yet.
        wait_for(lambda: w.builds() > builds, "a rebuild after the half line")
        assert w.card_status() == "running"
        assert not any("failed" in s for s in w.lines)
        append(log, text[20:])
        assert wait_for(lambda: w.card_status() == "completed")
        assert w.builds() <= builds + 3  # no rebuild loop over the waiting half line


def test_a_rotated_file_is_read_from_its_start(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START))
    with Watching(tmp_path, [log]) as w:
        assert w.card_status() == "running"
        os.rename(log, tmp_path / "run.jsonl.1")  # rotated away (not an input any more)
        log.write_text("".join(line(r) for r in other_run("w-2")))
        assert wait_for(lambda: w.card_status("w-2") == "completed")
        wait_for(lambda: w.card_status() is None)  # its runs went with the old file
        # A build deletes the files of vanished runs last, after the listings.
        wait_for(lambda: not (w.out / "runs" / f"{safe_name(RUN)}.html").exists(),
                 "the rotated-away run's page to be deleted")


def test_a_truncated_and_rewritten_file_is_read_again(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START) + "".join(line(r) for r in other_run("w-2")))
    with Watching(tmp_path, [log]) as w:
        with open(log, "r+", encoding="utf-8") as f:
            f.truncate(0)
        wait_for(lambda: "No runs in the input." in w.text("index.html"))
        append(log, line(START) + line(END))
        assert wait_for(lambda: w.card_status() == "completed")
        assert w.card_status("w-2") is None


def test_a_deleted_file_removes_its_runs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.jsonl").write_text(line(START))
    (logs / "b.jsonl").write_text("".join(line(r) for r in other_run("w-2")))
    with Watching(tmp_path, [logs]) as w:
        assert w.card_status("w-2") == "completed"
        (logs / "b.jsonl").unlink()
        wait_for(lambda: w.card_status("w-2") is None)
        wait_for(lambda: not (w.out / "data" / safe_name("w-2")).exists(),
                 "the deleted file's run data to be removed")
        assert w.card_status() == "running"
        # A new file in a watched folder is picked up.
        (logs / "c.jsonl").write_text(line(END))
        assert wait_for(lambda: w.card_status() == "completed")


def test_a_failing_rebuild_prints_one_line_and_keeps_watching(tmp_path, monkeypatch):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START))
    real = watch_mod.build_site_checked
    calls = []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kw)

    monkeypatch.setattr(watch_mod, "build_site_checked", flaky)
    with Watching(tmp_path, [log]) as w:
        append(log, line(STEP_RUNNING))
        wait_for(lambda: any(s.startswith("rebuild failed") for s in w.lines))
        failed = [s for s in w.lines if s.startswith("rebuild failed")]
        assert failed == ["rebuild failed: OSError: disk full (still watching)"]
        append(log, line(END))
        assert wait_for(lambda: w.card_status() == "completed")


def test_watch_command_exits_cleanly_on_ctrl_c(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from runreport.cli import main
    from runreport.live import command

    log = tmp_path / "run.jsonl"
    log.write_text(line(START) + line(END))
    index = tmp_path / "site" / "index.html"
    real = command._until_interrupted
    monkeypatch.setattr(command, "_until_interrupted",
                        lambda stop, work: real(stop, _Interrupting(work, index)))
    result = CliRunner().invoke(main, ["watch", str(log), "-o", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "stopped."
    assert "completed" in index.read_text()


class _Interrupting:
    """The watch thread, seen from the command: Ctrl-C arrives once the site is built."""

    def __init__(self, thread: threading.Thread, built: Path):
        self.thread = thread
        self.built = built
        self.fired = False

    def start(self):
        self.thread.start()

    def is_alive(self):
        return self.thread.is_alive()

    def join(self, timeout=None):
        if not self.fired:
            self.fired = True
            wait_for(self.built.is_file)
            raise KeyboardInterrupt
        self.thread.join(timeout)


def test_a_single_build_reads_a_last_line_without_its_newline(tmp_path):
    # `serve` without --watch builds once: like `build`, it reads a complete last line.
    log = tmp_path / "run.jsonl"
    log.write_text(line(START) + line(END).rstrip("\n"))
    out = tmp_path / "site"
    told: list[str] = []
    Watcher([log], out, BuildOptions(), tmp_path / "store", echo=told.append, following=False).build()
    assert f'data-run-id="{RUN}" data-status="completed"' in (out / "index.html").read_text()
    followed = tmp_path / "followed"
    Watcher([log], followed, BuildOptions(), tmp_path / "store2", echo=told.append).build()
    assert f'data-run-id="{RUN}" data-status="running"' in (followed / "index.html").read_text()


def test_input_problems_are_printed_once_as_they_appear(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text(line(START) + "{not json\n")
    with Watching(tmp_path, [log]) as w:
        first = [s for s in w.lines if not s.startswith(("built ", "rebuilt "))]
        assert first == [f"{log}:2: expected a JSON object, found invalid JSON: "
                         "unexpected character, expected a string key at column 2"]
        builds = w.builds()
        append(log, line({"type": "heartbeat", "run_id": RUN}))
        wait_for(lambda: w.builds() > builds, "a rebuild after the append")
        told = [s for s in w.lines if not s.startswith(("built ", "rebuilt "))]
        assert told[:1] == first and len(told) == 2  # the old problem is not printed again
        assert told[1].startswith(f"{log}:3: unknown record type \"heartbeat\"")


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("kind, fixture, first, second", [
    ("n8n", "n8n/executions.jsonl", "n8n-1001", "n8n-1002"),
    ("otlp", "otlp/traces.jsonl", "0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"),
])
def test_a_growing_export_is_followed_as_a_run_log_is(tmp_path, kind, fixture, first, second):
    """An exporter's JSON Lines file (n8n executions, the Collector's file exporter) grows: each
    new document shows up, a half-written one waits, and nothing is read twice."""
    lines = (FIXTURES / fixture).read_text().splitlines(keepends=True)
    export = tmp_path / "export.jsonl"
    export.write_text(lines[0])
    with Watching(tmp_path, [export], source="auto") as w:
        assert wait_for(lambda: w.card_status(first) is not None, f"{first} on the Runs page")
        assert w.card_status(second) is None
        builds = w.builds()
        append(export, lines[1][:40])  # half a document: it waits
        wait_for(lambda: w.builds() > builds, "a rebuild after the half line")
        assert w.card_status(second) is None and not any("invalid JSON" in s for s in w.lines)
        append(export, lines[1][40:])
        assert wait_for(lambda: w.card_status(second) == "failed", f"{second} failed")
        assert w.card_status(first) == "completed"
