"""read → check → merge → derive through real files: streaming, problems, the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runreport.pipeline import load

SPEC_EXAMPLE = Path(__file__).parent / "fixtures" / "spec_example.jsonl"


def write_lines(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def small_run(i: int) -> list[dict]:
    rid = f"run-{i:05d}"
    return [
        {"type": "run", "run_id": rid, "composer": f"Composer {i % 5}", "mode": "test",
         "started_at": f"2026-11-20T10:{i // 60 % 60:02d}:{i % 60:02d}Z"},
        {"type": "step", "run_id": rid, "entry_id": "e1", "name": "Fetch", "status": "running"},
        {"type": "step", "run_id": rid, "entry_id": "e1", "status": "success", "output": {"n": i}},
        {"type": "run_end", "run_id": rid, "ended_at": "2026-11-20T11:00:00Z"},
    ]


def test_spec_example_gives_the_statuses_the_spec_states():
    loaded = load([SPEC_EXAMPLE])
    assert loaded.problems == []
    (run,) = list(loaded.runs())
    assert run.status == "completed"
    e = run.entries_by_id
    assert e["e2"].display_status == "success"
    assert e["e3"].status == "rejected" and e["e3"].badges == ("iteration 1",)
    assert e["e3"].lineage == ("For each lead", "Approve lead")
    assert {g.automation: g.status for g in run.groups} == {"Enrich": "rejected", "Ingest": "success"}


def test_malformed_lines_in_the_middle_cost_exactly_those_lines(tmp_path):
    good = small_run(1) + small_run(2)
    lines = [json.dumps(r).encode() for r in good]
    bad = [b"{not json", b'{"type":"step","name":"\xff\xfe"}', b"[1, 2, 3]",
           json.dumps({"type": "step", "entry_id": "e9", "name": "x", "status": "success"}).encode()]
    # interleave: a bad line after every second good line
    body, bad_lines, n = [], [], 0
    for i, line in enumerate(lines):
        body.append(line)
        n += 1
        if i % 2 == 1 and bad:
            body.append(bad.pop(0))
            n += 1
            bad_lines.append(n)
    path = tmp_path / "dump.jsonl"
    path.write_bytes(b"\n".join(body) + b"\n")

    loaded = load([path])
    assert [p.line for p in loaded.problems] == bad_lines
    assert all(p.file == str(path) for p in loaded.problems)
    messages = [p.message for p in loaded.problems]
    assert "invalid JSON" in messages[0]
    assert "UTF-8" in messages[1]
    assert "found an array" in messages[2]
    assert '"run_id"' in messages[3]
    runs = {r.run_id: r for r in loaded.runs()}
    assert set(runs) == {"run-00001", "run-00002"}
    for rid, i in (("run-00001", 1), ("run-00002", 2)):
        assert runs[rid].status == "completed"
        assert runs[rid].entries[0].section("output").value == {"n": i}


def test_streaming_keeps_a_bounded_number_of_runs_in_memory(tmp_path):
    records = [r for i in range(2000) for r in small_run(i)]
    path = write_lines(tmp_path / "many.jsonl", records)
    loaded = load([path], max_resident=32)
    assert loaded.peak_resident == 32
    assert len(loaded.index) == 2000
    assert {row.status for row in loaded.index} == {"completed"}


def test_a_run_spilled_to_the_store_is_merged_again_when_touched_later(tmp_path):
    first = [r for i in range(50) for r in small_run(i)]
    late = {"type": "step", "run_id": "run-00000", "entry_id": "e2", "name": "Late", "status": "error"}
    path = write_lines(tmp_path / "a.jsonl", first + [late])
    loaded = load([path], max_resident=4)
    run = loaded.run("run-00000")
    assert [e.entry_id for e in run.entries] == ["e1", "e2"]
    assert run.status == "failed"


def test_runs_are_listed_newest_first(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", small_run(1) + small_run(3) + small_run(2))
    assert [row.run_id for row in load([path]).index] == ["run-00003", "run-00002", "run-00001"]


def test_a_run_spread_over_two_files(tmp_path):
    run = small_run(7)
    a = write_lines(tmp_path / "a.jsonl", run[:2])
    b = write_lines(tmp_path / "b.jsonl", run[2:])
    loaded = load([tmp_path])
    assert loaded.files == [a, b]
    assert loaded.run("run-00007").status == "completed"


class TestStore:
    def test_append_reads_only_new_bytes_and_reports_changed_runs(self, tmp_path):
        path = write_lines(tmp_path / "a.jsonl", small_run(1) + small_run(2))
        store = tmp_path / "store"
        first = load([path], store_dir=store)
        assert first.changed == {"run-00001", "run-00002"}
        size = path.stat().st_size

        with path.open("a") as f:
            f.write("".join(json.dumps(r) + "\n" for r in small_run(3)))
        second = load([path], store_dir=store)
        assert second.bytes_read == path.stat().st_size - size
        assert second.changed == {"run-00003"}
        assert [r.run_id for r in second.index] == ["run-00003", "run-00002", "run-00001"]

        third = load([path], store_dir=store)
        assert third.bytes_read == 0 and third.changed == set()

    def test_update_to_an_existing_run_in_an_appended_line(self, tmp_path):
        path = write_lines(tmp_path / "a.jsonl", small_run(1)[:2])
        store = tmp_path / "store"
        assert load([path], store_dir=store).index[0].status == "running"
        with path.open("a") as f:
            f.write("".join(json.dumps(r) + "\n" for r in small_run(1)[2:]))
        again = load([path], store_dir=store)
        assert again.changed == {"run-00001"} and again.index[0].status == "completed"

    def test_rewritten_file_is_read_again_from_the_start(self, tmp_path):
        path = write_lines(tmp_path / "a.jsonl", small_run(1) + small_run(2))
        store = tmp_path / "store"
        load([path], store_dir=store)
        write_lines(path, small_run(2))  # truncated and rewritten
        again = load([path], store_dir=store)
        assert [r.run_id for r in again.index] == ["run-00002"]
        assert again.removed == {"run-00001"}

    def test_deleted_file_removes_its_runs(self, tmp_path):
        a = write_lines(tmp_path / "a.jsonl", small_run(1))
        write_lines(tmp_path / "b.jsonl", small_run(2))
        store = tmp_path / "store"
        load([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], store_dir=store)
        a.unlink()
        again = load([tmp_path / "b.jsonl"], store_dir=store)
        assert [r.run_id for r in again.index] == ["run-00002"]

    @pytest.mark.parametrize("damage", ["manifest", "run-file", "foreign"])
    def test_corrupt_or_foreign_store_is_rebuilt_not_trusted(self, tmp_path, damage):
        path = write_lines(tmp_path / "a.jsonl", small_run(1))
        store = tmp_path / "store"
        load([path], store_dir=store)
        if damage == "manifest":
            (store / "manifest.json").write_text("{garbage")
        elif damage == "foreign":
            (store / "manifest.json").write_text(json.dumps({"format": 99}))
        else:
            for f in (store / "runs").iterdir():
                f.write_text("not json")
            with path.open("a") as f:  # touching the run forces a read of its stored state
                f.write(json.dumps({"type": "step", "run_id": "run-00001", "entry_id": "e2",
                                    "name": "More", "status": "success"}) + "\n")
        loaded = load([path], store_dir=store)
        run = loaded.run("run-00001")
        assert run.status == "completed"
        assert run.entries[0].section("output").value == {"n": 1}

    def test_problems_of_earlier_reads_are_kept_on_append(self, tmp_path):
        path = tmp_path / "a.jsonl"
        path.write_text("{bad\n" + "".join(json.dumps(r) + "\n" for r in small_run(1)))
        store = tmp_path / "store"
        assert [p.line for p in load([path], store_dir=store).problems] == [1]
        with path.open("a") as f:
            f.write("[]\n")
        assert [p.line for p in load([path], store_dir=store).problems] == [1, 6]


def test_unterminated_last_line_accepted_at_the_end_of_a_finished_read(tmp_path):
    path = tmp_path / "a.jsonl"
    text = "".join(json.dumps(r) + "\n" for r in small_run(1))
    path.write_text(text.rstrip("\n"))
    assert load([path]).index[0].status == "completed"


def test_unterminated_last_line_waits_when_following_a_growing_file(tmp_path):
    path = tmp_path / "a.jsonl"
    store = tmp_path / "store"
    lines = [json.dumps(r) for r in small_run(1)[:3]]  # the last line turns e1 from running to success
    half = len(lines[-1]) // 2
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:half])
    first = load([path], store_dir=store, accept_partial_tail=False)
    assert first.index[0].status == "running" and first.problems == []
    with path.open("a") as f:
        f.write(lines[-1][half:] + "\n" + json.dumps(small_run(1)[3]) + "\n")
    second = load([path], store_dir=store, accept_partial_tail=False)
    assert second.index[0].status == "completed" and second.problems == []


def test_half_written_line_in_a_finished_read_is_a_problem_then_read_whole_later(tmp_path):
    path = tmp_path / "a.jsonl"
    store = tmp_path / "store"
    lines = [json.dumps(r) for r in small_run(1)]
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:10])
    first = load([path], store_dir=store)
    assert [p.line for p in first.problems] == [4]
    with path.open("a") as f:
        f.write(lines[-1][10:] + "\n")
    second = load([path], store_dir=store)
    assert second.problems == [] and second.index[0].status == "completed"


def test_numbers_beyond_64_bits_cost_their_field_not_the_build(tmp_path):
    run = small_run(1)
    run[2] = {**run[2], "seq": 1e20, "page": 18446744073709551616,
              "iteration": {"index": -9223372036854775809}}
    loaded = load([write_lines(tmp_path / "big-numbers.jsonl", run)], store_dir=tmp_path / "store")
    assert [(p.line, p.message.split(" to be ")[0]) for p in loaded.problems] == [
        (3, "2 integers beyond 64 bits kept as text (a number that large cannot be shown exactly "
            "as a number)"),
        (3, 'step record: expected "iteration"'),
        (3, 'step record: expected "page"'),
        (3, 'step record: expected "seq"'),
    ]
    (shown,) = list(loaded.runs())
    assert shown.entries_by_id["e1"].status == "success"


def _statuses(loaded) -> dict:
    return {run.run_id: (run.status, {e.entry_id: e.status for e in run.entries}) for run in loaded.runs()}


def _problems(loaded) -> list:
    return [(p.file, p.line, p.message) for p in loaded.problems]


@pytest.mark.parametrize("change", ["new file sorting first", "earlier file grows"])
def test_a_continued_read_gives_what_a_read_from_the_start_gives(tmp_path, change):
    logs = tmp_path / "logs"
    logs.mkdir()
    first = {"type": "run", "run_id": "r1", "composer": "C", "mode": "test", "started_at": "2026-11-20T10:00:00Z"}
    step = {"type": "step", "run_id": "r1", "entry_id": "e1", "name": "Fetch", "status": "success"}
    failed = {"type": "step", "run_id": "r1", "entry_id": "e1", "status": "error"}
    if change == "new file sorting first":
        write_lines(logs / "b.jsonl", [first, step])
    else:
        write_lines(logs / "a.jsonl", [first])
        write_lines(logs / "b.jsonl", [step])
    store = tmp_path / "store"
    load([logs], store_dir=store)
    # Read from the start, the error comes before "success" in b.jsonl: success is later and wins.
    if change == "new file sorting first":
        write_lines(logs / "a.jsonl", [failed])  # (a's first record of e1 has no name: skipped)
    else:
        with open(logs / "a.jsonl", "a") as f:
            f.write(json.dumps(failed) + "\n")
    continued = load([logs], store_dir=store)
    fresh = load([logs], store_dir=tmp_path / "fresh-store")
    assert _statuses(continued) == _statuses(fresh) == {"r1": ("completed", {"e1": "success"})}
    assert _problems(continued) == _problems(fresh)


def test_appending_to_an_earlier_file_is_still_read_incrementally_when_no_later_file_shares_its_runs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    a = write_lines(logs / "a.jsonl", small_run(1)[:2])
    write_lines(logs / "b.jsonl", small_run(2))
    store = tmp_path / "store"
    load([logs], store_dir=store)
    with open(a, "a") as f:
        f.write("".join(json.dumps(r) + "\n" for r in small_run(1)[2:]))
    continued = load([logs], store_dir=store)
    assert continued.bytes_read == sum(len(json.dumps(r)) + 1 for r in small_run(1)[2:])
    assert _statuses(continued) == _statuses(load([logs], store_dir=tmp_path / "fresh"))


def test_a_store_whose_manifest_or_runs_are_of_another_shape_is_started_again(tmp_path):
    from runreport.pipeline import load

    root = Path(__file__).resolve().parents[1]
    inputs = [root / "sample_runs" / "2026-11-20.jsonl"]
    expected = [row.run_id for row in load(inputs).index]
    for shape in ("manifest-folder", "runs-file", "manifest-garbage"):
        store = tmp_path / shape
        store.mkdir()
        if shape == "manifest-folder":
            (store / "manifest.json").mkdir()
            (store / "manifest.json" / "x").write_text("x")
        elif shape == "runs-file":
            (store / "runs").write_text("not a folder")
        else:
            (store / "manifest.json").write_bytes(b"\x00\xff{")
        loaded = load(inputs, store_dir=store)
        assert [row.run_id for row in loaded.index] == expected, shape
        assert (store / "manifest.json").is_file() and (store / "runs").is_dir()


def test_store_files_are_private_to_their_owner(tmp_path):
    # The store holds or points to the input as logged, secrets included; the site is public.
    from runreport.pipeline import load

    root = Path(__file__).resolve().parents[1]
    load([root / "sample_runs"], store_dir=tmp_path / "store")
    files = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert files and all(p.stat().st_mode & 0o777 == 0o600 for p in files)


def test_a_record_for_a_finished_run_after_more_runs_than_stay_in_memory_is_merged(tmp_path):
    from runreport.pipeline import load

    def run(rid, minute):
        return {"type": "run", "run_id": rid, "composer": "C", "mode": "live",
                "started_at": f"2026-11-20T10:{minute:02d}:00Z"}

    records = [run("A", 0), {"type": "run_end", "run_id": "A", "ended_at": "2026-11-20T11:00:00Z"}]
    records += [run(f"B{i}", i + 1) for i in range(6)]  # more open runs than stay resident
    records.append({"type": "step", "run_id": "A", "entry_id": "late", "name": "Late", "status": "success"})
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    loaded = load([path], store_dir=tmp_path / "store", max_resident=4)
    assert [e.entry_id for e in loaded.run("A").entries] == ["late"]
    assert len(loaded.index) == 7


def test_a_last_line_completed_later_is_told_as_a_problem_again(tmp_path):
    from runreport.pipeline import load

    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"type": "run", "run_id": "A", "composer": "C", "mode": "live",
                                "started_at": "2026-01-01T00:00:00Z"}) + "\n"
                    + json.dumps({"type": "step", "run_id": "A", "entry_id": "z", "status": "success"}))
    first = load([path], store_dir=tmp_path / "store")
    with open(path, "a") as f:
        f.write("\n")
    again = load([path], store_dir=tmp_path / "store")
    fresh = load([path], store_dir=tmp_path / "fresh")
    assert [p.message for p in again.problems] == [p.message for p in fresh.problems] \
        == [p.message for p in first.problems]
    assert any('"name"' in p.message for p in fresh.problems)


class TestStoreJournal:
    """A save after the first adds a line to the store's journal instead of rewriting
    every run's entry; the journal is folded into the manifest when it grows."""

    def _log_with(self, tmp_path: Path, runs: range) -> Path:
        return write_lines(tmp_path / "runs.jsonl", [r for i in runs for r in small_run(i)])

    def _append(self, log: Path, i: int) -> None:
        with open(log, "a") as f:
            f.write("".join(json.dumps(r) + "\n" for r in small_run(i)))

    def test_an_appended_run_is_a_journal_line_and_reads_back_as_a_read_from_scratch(self, tmp_path):
        store = tmp_path / "store"
        log = self._log_with(tmp_path, range(40))
        load([log], store_dir=store)
        manifest = (store / "manifest.json").read_bytes()
        for i in (40, 41):
            self._append(log, i)
            load([log], store_dir=store)
        assert (store / "manifest.json").read_bytes() == manifest  # (not rewritten)
        assert len((store / "manifest.log").read_bytes().splitlines()) == 2
        again = load([log], store_dir=store)
        fresh = load([log], store_dir=tmp_path / "fresh")
        assert [r.run_id for r in again.index] == [r.run_id for r in fresh.index]
        assert again.index == fresh.index and again.problems == fresh.problems
        assert again.store.runs == fresh.store.runs and again.store.files == fresh.store.files
        assert again.store_damage is None and not again.changed

    def test_a_journal_past_its_share_of_the_manifest_is_folded_into_it(self, tmp_path, monkeypatch):
        import runreport.store

        store = tmp_path / "store"
        log = self._log_with(tmp_path, range(3))
        load([log], store_dir=store)
        monkeypatch.setattr(runreport.store, "JOURNAL_SHARE", 0.0)
        self._append(log, 3)
        loaded = load([log], store_dir=store)
        assert not (store / "manifest.log").exists()
        assert json.loads((store / "manifest.json").read_text())["generation"] == 2
        assert sorted(loaded.store.runs) == [f"run-{i:05d}" for i in range(4)]

    @pytest.mark.parametrize("damage", ["cut", "garbage"])
    def test_a_damaged_journal_starts_the_store_again_and_says_so(self, tmp_path, damage):
        store = tmp_path / "store"
        log = self._log_with(tmp_path, range(40))
        load([log], store_dir=store)
        self._append(log, 40)
        load([log], store_dir=store)
        journal = store / "manifest.log"
        journal.write_bytes(journal.read_bytes()[:-5] if damage == "cut" else b'{"generation":\n')
        loaded = load([log], store_dir=store)
        assert loaded.store_damage and "manifest" in loaded.store_damage
        assert sorted(r.run_id for r in loaded.index) == [f"run-{i:05d}" for i in range(41)]

    def test_journal_lines_of_an_earlier_manifest_are_passed_over(self, tmp_path):
        # (A save stopped after writing the manifest, before emptying the journal.)
        store = tmp_path / "store"
        log = self._log_with(tmp_path, range(40))
        load([log], store_dir=store)
        self._append(log, 40)
        load([log], store_dir=store)
        stale = (store / "manifest.log").read_bytes().replace(b'{"generation":1,', b'{"generation":0,')
        (store / "manifest.log").write_bytes(stale)
        loaded = load([log], store_dir=store)
        assert loaded.store_damage is None
        # run 40 was in the passed-over line only: read again from where the manifest says
        assert sorted(r.run_id for r in loaded.index) == [f"run-{i:05d}" for i in range(41)]
