"""Sharded builds: `merge` of any sharding of the inputs writes the site one build writes.

Each input set is built once whole and as 1, 2, 3 and 7 shards merged, and
the folders are compared byte for byte (manifest, problems page, library
pages and chunk files included). Inputs cover runs whose records are split
over files that different shards read, records after a run's end, bad
lines, an unterminated last line, large values in chunks and a library.
Then: merging is incremental, a history grows bundle by bundle, and a
bundle that is damaged, cut short or made differently is refused with a
message that names it.
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from clirun import tree
from runreport.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _run(*args: str, env: dict | None = None, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _lines(records: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _run_records(rid: str, i: int) -> list[dict]:
    return [
        {"type": "run", "run_id": rid, "composer": f"Composer {i % 3}", "mode": "live",
         "started_at": f"2026-11-20T10:{i // 60:02d}:{i % 60:02d}Z"},
        {"type": "step", "run_id": rid, "entry_id": "e1", "name": "Fetch", "status": "success",
         "automation": "Main", "output": {"rows": list(range(i % 7))},
         "http": {"request": {"url": "https://h.example/x?token=t0pS3cret",
                              "headers": {"Authorization": "Bearer s3cr3t-v4lue"}}}},
        {"type": "step", "run_id": rid, "entry_id": "e2", "name": "Check",
         "status": "error" if i % 5 == 0 else "success", "automation": "Main",
         "error": {"message": f"boom {i}"} if i % 5 == 0 else None},
        {"type": "run_end", "run_id": rid, "ended_at": f"2026-11-20T11:{i // 60:02d}:{i % 60:02d}Z"},
    ]


def _split_runs(folder: Path) -> Path:
    """Runs whose records are spread over five files (so over shards), late records, bad lines."""
    folder.mkdir(parents=True)
    records = [r for i in range(20) for r in _run_records(f"run-{i:03d}", i)]
    for n in range(5):
        part = records[n::5]
        if n == 2:
            part.append({"type": "step", "run_id": "run-003", "entry_id": "e1", "status": "error",
                         "error": {"message": "late"}})  # after that run's end, in another file
        if n == 3:
            part.append({"type": "step", "run_id": "run-004", "entry_id": "e9", "status": "success"})  # no name
        (folder / f"part-{n}.jsonl").write_text(_lines(part) + ("{not json\n" if n == 1 else ""))
    with open(folder / "part-4.jsonl", "a") as fh:  # an unterminated last line
        fh.write('{"type": "step", "run_id": "run-001", "entry_id": "e7", "name": "Cut", "status": "success"}')
    return folder


def _chunks_and_library(folder: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(FIXTURES / "site"))
    import bigruns

    (folder / "logs").mkdir(parents=True)
    bigruns.write_chunk_log(folder / "logs" / "big.jsonl")
    (folder / "logs" / "small.jsonl").write_text(_lines(_run_records("small-1", 1)))
    return folder / "logs", bigruns.write_library(folder / "library", big_value_bytes=50_000)


def _single_and_sharded(tmp_path: Path, inputs: list[Path], shards: list[int], *options: str,
                        by: str = "file") -> None:
    whole = tmp_path / "whole"
    if not whole.exists():
        _run("build", *inputs, "-o", whole, "--store", tmp_path / "whole.store", *options)
    expected = tree(whole)
    assert expected
    for n in shards:
        bundles = tmp_path / f"bundles-{by}-{n}"
        for k in range(1, n + 1):
            _run("build", *inputs, "--shard", f"{k}/{n}", "--shard-by", by,
                 "--bundle", bundles / "part-{k}.zip", *options)
        merged = tmp_path / f"merged-{by}-{n}"
        _run("merge", bundles, "-o", merged)
        got = tree(merged)
        assert sorted(got) == sorted(expected), f"{n} shards: other files"
        differing = [rel for rel in expected if got[rel] != expected[rel]]
        assert not differing, f"{n} shards: {differing[:5]}"


def test_runs_split_across_shards_late_records_and_bad_lines_merge_to_the_single_build(tmp_path):
    _single_and_sharded(tmp_path, [_split_runs(tmp_path / "in")], [1, 2, 3, 7])


def test_the_sample_runs_merge_to_the_single_build(tmp_path):
    # (Their exports are left out: shards read run logs, next test.)
    _single_and_sharded(tmp_path, [ROOT / "sample_runs"], [1, 2, 3, 7], "--from", "runlog")


def test_a_shard_refuses_an_export_found_in_a_folder_that_a_build_of_everything_imports(tmp_path):
    done = _run("build", ROOT / "sample_runs", "--shard", "1/2", "--bundle", tmp_path / "b.zip", ok=False)
    assert done.exit_code != 0 and not (tmp_path / "b.zip").exists()
    assert "imports/n8n-execution.json looks like an n8n export: shards read run logs; import it first" \
        in done.output and "--from runlog" in done.output


def test_problems_hostile_text_and_secrets_merge_to_the_single_build(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("problems.jsonl", "hostile.jsonl", "secrets.jsonl", "loops.jsonl"):
        shutil.copy(FIXTURES / "site" / name, folder / name)
    _single_and_sharded(tmp_path, [folder], [1, 2, 3, 7])


def test_chunked_values_and_a_library_merge_to_the_single_build(tmp_path):
    logs, library = _chunks_and_library(tmp_path / "in")
    _single_and_sharded(tmp_path, [logs], [1, 2, 3, 7], "--library", library, "--chunk-size", "20000")
    merged = tmp_path / "merged-file-2"
    assert (merged / "library.html").is_file()
    assert any(p.name.startswith("c-") for p in (merged / "data").rglob("*.js"))  # chunk files


def test_shards_by_run_id_merge_to_the_single_build(tmp_path):
    inputs = _split_runs(tmp_path / "in")
    _single_and_sharded(tmp_path, [inputs], [1, 2, 3, 7], by="run")
    with zipfile.ZipFile(tmp_path / "bundles-run-3" / "part-2.zip") as z:
        index = json.loads(z.read("runreport-bundle.json"))
    assert index["shard_by"] == "run" and len(index["files"]) == 5  # every shard reads every file
    assert 0 < len(index["runs"]) < 20


def test_shards_by_run_id_of_lines_the_byte_search_cannot_route(tmp_path):
    records = [r for i in range(8) for r in _run_records(f"run-{i:03d}", i)]
    records[5]["input"] = {"run_id": "run-000"}  # a second "run_id" on the line
    records.insert(3, {"type": "step", "input": {"run_id": "run-000"}, "run_id": "run-002",
                       "entry_id": "e5", "name": "Nested first", "status": "error", "automation": "Main"})
    records.append({"type": "step", "entry_id": "e1", "name": "x", "status": "success",
                    "meta": {"run_id": "run-002"}})  # no run id of its own: a problem, once
    records.append({"type": "run", "meta": {"run_id": "run-003"}, "run_id": "solo", "composer": "S",
                    "mode": "test", "started_at": "2026-11-20T12:00:00Z"})
    text = _lines(records).replace('"run_id": "run-004"', '"run\\u005fid": "run-004"', 1)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "runs.jsonl").write_text(text + "{broken\n")
    _single_and_sharded(tmp_path, [tmp_path / "in"], [2, 3, 5], by="run")


def test_shards_by_run_id_and_then_by_file_into_one_site(tmp_path):
    inputs = _split_runs(tmp_path / "in")
    _single_and_sharded(tmp_path, [inputs], [3], by="run")
    # The same files merged again, shard by file: they replace what the run shards said.
    site = tmp_path / "merged-run-3"
    for k in (1, 2):
        _run("build", inputs, "--shard", f"{k}/2", "--bundle", tmp_path / "f" / f"{k}.zip")
    _run("merge", tmp_path / "f" / "1.zip", "-o", site)
    _run("merge", tmp_path / "f" / "2.zip", "-o", site)
    assert tree(site) == tree(tmp_path / "whole")


def test_shards_by_run_id_refuse_gzip_and_an_output_folder(tmp_path):
    import gzip

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl.gz").write_bytes(gzip.compress(_lines(_run_records("r", 1)).encode()))
    said = _run("build", tmp_path / "in", "--shard", "1/2", "--shard-by", "run",
                "--bundle", tmp_path / "x.zip", ok=False)
    assert said.exit_code == 1 and "not gzip" in said.output
    said = _run("build", tmp_path / "in", "--shard", "1/2", "--shard-by", "run", "-o", tmp_path / "s",
                "--bundle", tmp_path / "x.zip", ok=False)
    assert said.exit_code == 2 and "leave out -o" in said.output


def test_merging_shard_by_shard_is_incremental_and_ends_at_the_single_build(tmp_path):
    inputs = _split_runs(tmp_path / "in")
    whole = tmp_path / "whole"
    _run("build", inputs, "-o", whole, "--store", tmp_path / "whole.store")
    for k in (1, 2, 3):
        _run("build", inputs, "--shard", f"{k}/3", "--bundle", tmp_path / "b" / f"{k}.zip")
    site = tmp_path / "site"
    for k in (1, 2, 3):
        _run("merge", tmp_path / "b" / f"{k}.zip", "-o", site)
    assert tree(site) == tree(whole)
    again = _run("merge", tmp_path / "b", "-o", site)
    assert "(0 runs taken from the bundles, 0 rendered here, 0 files written)" in again.output
    assert tree(site) == tree(whole)


def test_a_shard_built_again_replaces_its_earlier_self(tmp_path):
    inputs = _split_runs(tmp_path / "in")
    for k in (1, 2):
        _run("build", inputs, "--shard", f"{k}/2", "--bundle", tmp_path / "b" / f"{k}.zip")
    site = tmp_path / "site"
    _run("merge", tmp_path / "b", "-o", site)
    # part-0 (shard 1) grows: a new run, and another record of a run shard 2's files hold too.
    with open(inputs / "part-0.jsonl", "a") as fh:
        fh.write(_lines(_run_records("run-new", 41) + [
            {"type": "step", "run_id": "run-007", "entry_id": "e5", "name": "Later", "status": "error",
             "automation": "Main", "error": {"message": "late failure"}}]))
    _run("build", inputs, "--shard", "1/2", "--bundle", tmp_path / "b" / "1.zip")
    merged = _run("merge", tmp_path / "b" / "1.zip", "-o", site)
    assert " 0 rendered here" not in merged.output
    whole = tmp_path / "whole"
    _run("build", inputs, "-o", whole, "--store", tmp_path / "whole.store")
    assert tree(site) == tree(whole)


def test_a_history_grows_by_merging_each_nights_bundle(tmp_path):
    nights = []
    for night in range(3):
        folder = tmp_path / "logs" / f"2026-12-0{night + 1}"
        folder.mkdir(parents=True)
        (folder / "runs.jsonl").write_text(_lines(
            [r for i in range(4) for r in _run_records(f"n{night}-{i}", night * 10 + i)]))
        nights.append(folder)
        _run("build", folder, "--bundle", tmp_path / "bundles" / f"night-{night}.zip")
    site = tmp_path / "history"
    for night in range(3):
        _run("merge", tmp_path / "bundles" / f"night-{night}.zip", "-o", site)
    whole = tmp_path / "whole"
    _run("build", *nights, "-o", whole, "--store", tmp_path / "whole.store")
    assert tree(site) == tree(whole)


def test_the_environment_names_the_shard(tmp_path):
    inputs = _split_runs(tmp_path / "in")
    env = {"RUNREPORT_SHARDS": "3", "JOB_COMPLETION_INDEX": "1"}
    out = _run("build", inputs, "--bundle", tmp_path / "b" / "shard-{k}-of-{n}.zip", env=env)
    assert (tmp_path / "b" / "shard-2-of-3.zip").is_file(), out.output
    with zipfile.ZipFile(tmp_path / "b" / "shard-2-of-3.zip") as z:
        index = json.loads(z.read("runreport-bundle.json"))
    assert index["shard"] == [2, 3]
    assert index["files"] == [str(inputs / "part-1.jsonl"), str(inputs / "part-4.jsonl")]
    both = _run("build", inputs, "--bundle", tmp_path / "x.zip", env={"RUNREPORT_SHARD": "3/3"})
    assert "built shard 3/3 into" in both.output
    bad = _run("build", inputs, "--shard", "4/3", "--bundle", tmp_path / "y.zip", ok=False)
    assert bad.exit_code == 2 and "1 ≤ K ≤ N" in bad.output


@pytest.fixture
def bundles(tmp_path) -> list[Path]:
    inputs = _split_runs(tmp_path / "in")
    for k in (1, 2):
        _run("build", inputs, "--shard", f"{k}/2", "--bundle", tmp_path / "b" / f"{k}.zip")
    return [tmp_path / "b" / "1.zip", tmp_path / "b" / "2.zip"]


def _refused(tmp_path: Path, *bundles: Path) -> str:
    result = _run("merge", *bundles, "-o", tmp_path / "out", ok=False)
    assert result.exit_code == 1, result.output
    return result.output


def test_a_truncated_bundle_is_refused_by_name(tmp_path, bundles):
    data = bundles[1].read_bytes()
    bundles[1].write_bytes(data[: len(data) // 2])
    said = _refused(tmp_path, *bundles)
    assert f"{bundles[1]}: not a runreport bundle, or truncated" in said


def test_a_bundle_with_damaged_bytes_is_refused_by_name(tmp_path, bundles):
    with zipfile.ZipFile(bundles[0]) as z:
        info = next(i for i in z.infolist() if i.filename.startswith("records/"))
    data = bytearray(bundles[0].read_bytes())
    at = info.header_offset + 30 + len(info.filename) + 5  # inside the member's bytes
    data[at] ^= 0x20
    bundles[0].write_bytes(bytes(data))
    said = _refused(tmp_path, *bundles)
    assert str(bundles[0]) in said and "damaged" in said


def _rewrite_index(path: Path, change) -> None:
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    index = json.loads(members["runreport-bundle.json"])
    change(index)
    members["runreport-bundle.json"] = json.dumps(index).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def test_a_bundle_of_another_version_is_refused(tmp_path, bundles):
    _rewrite_index(bundles[0], lambda ix: ix.update(version="0.0.9"))
    said = _refused(tmp_path, *bundles)
    assert "made by runreport 0.0.9" in said and str(bundles[0]) in said


def test_bundles_built_with_other_options_are_refused(tmp_path, bundles):
    inputs = tmp_path / "in"
    _run("build", inputs, "--shard", "2/2", "--chunk-size", "5000", "--bundle", tmp_path / "other.zip")
    said = _refused(tmp_path, bundles[0], tmp_path / "other.zip")
    assert "built with different options" in said


def test_two_bundles_of_the_same_shard_are_refused(tmp_path, bundles):
    copy = tmp_path / "copy.zip"
    shutil.copy(bundles[0], copy)
    said = _refused(tmp_path, bundles[0], copy)
    assert "both read" in said


def test_records_that_do_not_match_their_hash_and_paths_that_leave_the_site_are_refused(tmp_path, bundles):
    def retarget(ix):
        run = next(iter(ix["runs"].values()))
        run["files"][0][0] = "../../outside.html"

    _rewrite_index(bundles[0], retarget)
    assert "outside the run folders" in _refused(tmp_path, bundles[0])
    _rewrite_index(bundles[1], lambda ix: next(iter(ix["runs"].values())).update(hash="0" * 64))
    assert "do not match its hash" in _refused(tmp_path, bundles[1])
    assert not (tmp_path / "outside.html").exists()


def test_not_a_bundle_at_all(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_text("hello")
    assert f"{junk}: not a runreport bundle" in _refused(tmp_path, junk)


def test_a_merged_site_repairs_deleted_pages_from_the_records_the_merge_keeps(tmp_path, bundles):
    site = tmp_path / "site"
    _run("merge", *bundles, "-o", site)
    before = tree(site)
    for page in (site / "runs").glob("run-*.html"):
        page.unlink()
    bundles[1].unlink()  # gone: the merge store's copy of its records is what is left
    copies = sorted((tmp_path / ".site.merge" / "bundles").glob("*.records"))
    assert len(copies) == 2 and all(c.stat().st_mode & 0o077 == 0 for c in copies)
    again = _run("merge", bundles[0], "-o", site)
    assert "rendered here" in again.output and ", 0 rendered here" not in again.output
    assert tree(site) == before


def test_a_bundle_written_over_in_place_after_its_merge_changes_nothing_merged(tmp_path, bundles):
    site = tmp_path / "site"
    _run("merge", *bundles, "-o", site)
    before = tree(site)
    with open(bundles[0], "r+b") as fh:  # (as `cp` or a download over the same file does)
        fh.write(b"\0" * 4096)
    for page in (site / "runs").glob("run-*.html"):
        page.unlink()
    _run("merge", bundles[1], "-o", site)
    assert tree(site) == before


def test_a_shard_leaves_nothing_behind_and_its_bundle_is_its_owners_only(tmp_path):
    import os
    import subprocess

    inputs = _split_runs(tmp_path / "in")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run([sys.executable, "-m", "runreport", "build", str(inputs), "--shard", "1/2",
                           "--bundle", str(tmp_path / "b" / "part-{k}.zip")],
                          capture_output=True, text=True, env={**os.environ, "TMPDIR": str(scratch)})
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []  # (the shard's site and its store, secrets included, are gone)
    bundle = tmp_path / "b" / "part-1.zip"
    assert bundle.stat().st_mode & 0o077 == 0
    assert f"built shard 1/2 into {bundle}: " in done.stderr and "3 input files" in done.stderr


def test_shards_named_by_the_environment_say_which_variable_is_wrong(tmp_path):
    inputs = _split_runs(tmp_path / "in")
    for env, said in (
            ({"JOB_COMPLETION_INDEX": "1"}, "JOB_COMPLETION_INDEX=1 is set but RUNREPORT_SHARDS"),
            ({"RUNREPORT_SHARDS": "3", "JOB_COMPLETION_INDEX": "3"},
             "the shard from the environment (RUNREPORT_SHARDS=3, JOB_COMPLETION_INDEX=3)"),
            ({"RUNREPORT_SHARD": "2/3", "RUNREPORT_SHARDS": "4"}, "disagree on the number of shards")):
        result = _run("build", inputs, "--bundle", tmp_path / "b-{k}.zip", env=env, ok=False)
        assert result.exit_code == 2 and said in result.output, (env, result.output)
    warned = _run("build", inputs, "--shard", "1/2", "--bundle", tmp_path / "same.zip")
    assert "names no {k}" in warned.output


def test_merging_a_folder_again_skips_the_merge_store_inside_it(tmp_path, bundles):
    folder = tmp_path / "work"
    folder.mkdir()
    for b in bundles:
        shutil.copy(b, folder / b.name)
    for _ in range(2):
        _run("merge", folder, "-o", folder / "site")
    assert (folder / ".site.merge").is_dir()


def test_shards_of_different_input_lists_are_named_in_warnings_and_refusals(tmp_path):
    inputs = _split_runs(tmp_path / "in")
    _run("build", inputs, "--shard", "1/2", "--bundle", tmp_path / "b" / "1.zip")
    (inputs / "part-4.jsonl").unlink()  # the second host lacks a file
    _run("build", inputs, "--shard", "2/2", "--bundle", tmp_path / "b" / "2.zip")
    merged = _run("merge", tmp_path / "b", "-o", tmp_path / "site")
    assert "shard 2/2 (by file, of 5 input files) not among these bundles" in merged.output
    assert "shard 1/2 (by file, of 4 input files) not among these bundles" in merged.output
    _run("build", inputs, "--shard", "1/2", "--bundle", tmp_path / "c" / "1.zip")
    said = _refused(tmp_path, tmp_path / "b" / "1.zip", tmp_path / "c" / "1.zip")
    assert "built from different input files (5 and 4)" in said


def test_a_refused_merge_names_the_option_and_writes_nothing(tmp_path, bundles):
    inputs = tmp_path / "in"
    _run("build", inputs, "--shard", "2/2", "--chunk-size", "5000", "--bundle", tmp_path / "other.zip")
    said = _refused(tmp_path, bundles[0], tmp_path / "other.zip")
    assert "chunk_size: 262144 / 5000" in said
    assert not (tmp_path / "out").exists() and not (tmp_path / ".out.merge").exists()


def test_an_index_row_that_is_not_a_row_is_refused(tmp_path, bundles):
    _rewrite_index(bundles[0], lambda ix: next(iter(ix["runs"].values()))["row"].pop("status"))
    assert "is damaged" in _refused(tmp_path, bundles[0])
