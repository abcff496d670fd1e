"""The recipes of docs/scale.md, run as their platforms would run them, on the sample runs.

Each shard job runs in a folder of its own (its own machine), with the
environment its platform sets; the bundles are gathered as the recipe's
artifacts or volume gather them; the merge job's site must be the site one
`runreport build logs` writes, byte for byte.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from clirun import tree

ROOT = Path(__file__).parent.parent
DOC = (ROOT / "docs" / "scale.md").read_text()
RUNREPORT = f"{sys.executable} -m runreport"


def _section(title: str) -> str:
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end != -1 else None]


def _machine(tmp_path: Path, name: str) -> Path:
    work = tmp_path / name
    work.mkdir()
    # The sample run logs, without the samples' exports: shards read run logs.
    (work / "logs").mkdir()
    for child in (ROOT / "sample_runs").iterdir():
        if child.name != "imports":
            (work / "logs" / child.name).symlink_to(child)
    return work


def _sh(line: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = re.sub(r"^runreport ", RUNREPORT + " ", line)
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})


def _single_build(tmp_path: Path) -> dict[str, bytes]:
    work = _machine(tmp_path, "single")
    assert _sh("runreport build logs -o site", work).returncode == 0
    return tree(work / "site")


def _gather(shards: list[Path], into: Path) -> None:
    into.mkdir(parents=True)
    for work in shards:
        for bundle in (work / "bundles").glob("*.zip"):
            shutil.copy(bundle, into / bundle.name)


def test_the_github_actions_matrix_and_merge_job(tmp_path):
    text = _section("GitHub Actions")
    shard_line = re.search(r"- run: (runreport build [^\n]+)", text).group(1)
    merge_line = re.search(r"- run: (runreport merge [^\n]+)", text).group(1)
    count = len(re.search(r"shard: \[([^\]]+)\]", text).group(1).split(","))
    shards = []
    for k in range(1, count + 1):
        work = _machine(tmp_path, f"shard-{k}")
        done = _sh(shard_line.replace("${{ matrix.shard }}", str(k)), work)
        assert done.returncode == 0, done.stderr
        shards.append(work)
    merge = tmp_path / "merge"
    _gather(shards, merge / "bundles")  # download-artifact, merge-multiple: one folder
    (merge / "summary.md").write_text("")
    done = _sh(merge_line.replace('"$GITHUB_STEP_SUMMARY"', "summary.md"), merge)
    assert done.returncode == 1, done.stderr  # the sample runs hold failed runs: the gate fails the job
    assert "<testsuites" in (merge / "junit.xml").read_text()
    assert (merge / "summary.md").read_text().startswith("## runreport")
    assert tree(merge / "site") == _single_build(tmp_path)


def test_the_gitlab_parallel_jobs_and_merge_job(tmp_path):
    text = _section("GitLab CI")
    shard_line = re.search(r"- (runreport build [^\n]+)", text).group(1)
    merge_line = re.search(r"- (runreport merge [^\n]+)", text).group(1)
    total = int(re.search(r"parallel: (\d+)", text).group(1))
    shards = []
    for index in range(1, total + 1):
        work = _machine(tmp_path, f"node-{index}")
        done = _sh(shard_line, work, {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(total)})
        assert done.returncode == 0, done.stderr
        shards.append(work)
    merge = tmp_path / "merge"
    _gather(shards, merge / "bundles")  # needs: artifacts of every parallel job, one folder
    done = _sh(merge_line, merge)
    assert done.returncode == 1, done.stderr
    assert tree(merge / "public") == _single_build(tmp_path)


def test_the_kubernetes_indexed_job_and_merge_job(tmp_path):
    text = _section("Kubernetes")
    commands = [json.loads(c) for c in re.findall(r"command: (\[[^\n]+\])", text)]
    shard_cmd, merge_cmd = commands
    completions = int(re.search(r"completions: (\d+)", text).group(1))
    shards_env = re.search(r"name: RUNREPORT_SHARDS\n\s+value: \"(\d+)\"", text).group(1)
    volume = _machine(tmp_path, "volume")  # one volume: every pod works in it
    for index in range(completions):
        done = subprocess.run([sys.executable, "-m", *shard_cmd], cwd=volume, capture_output=True,
                              text=True, timeout=300, env={"PATH": "/usr/bin:/bin",
                                                           "RUNREPORT_SHARDS": shards_env,
                                                           "JOB_COMPLETION_INDEX": str(index)})
        assert done.returncode == 0, done.stderr
    assert len(list((volume / "bundles").glob("*.zip"))) == completions
    done = subprocess.run([sys.executable, "-m", *merge_cmd], cwd=volume, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert tree(volume / "site") == _single_build(tmp_path)
