"""The CI recipes of docs/ci.md: every runreport command they run works on the sample runs."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "ci.md"


def _commands() -> list[str]:
    """The runreport command lines of the recipes (YAML `run:`/`- ` items and Jenkins `sh`)."""
    text = DOC.read_text()
    found = re.findall(r"(?:run: |- |sh ')(?:\.venv/bin/)?(runreport build [^'\n]+)", text)
    return found


def test_each_recipe_command_builds_the_outputs_it_names(tmp_path):
    commands = _commands()
    assert len(commands) == 4  # GitHub, GitLab (report and Pages), Jenkins
    for n, line in enumerate(commands):
        work = tmp_path / f"job{n}"
        work.mkdir()
        (work / "logs").symlink_to(ROOT / "sample_runs")
        (work / "summary").write_text("")
        args = shlex.split(line.replace('"$GITHUB_STEP_SUMMARY"', "summary"))[1:]
        done = subprocess.run([sys.executable, "-m", "runreport", *args], cwd=work,
                              capture_output=True, text=True, timeout=300)
        gate = "--fail-on" in args
        # The sample runs hold failed runs: a gated job fails, after writing everything.
        assert done.returncode == (1 if gate else 0), (line, done.stderr)
        out = args[args.index("-o") + 1]
        assert (work / out / "index.html").is_file(), line
        if "--junit" in args:
            assert "<testsuites" in (work / args[args.index("--junit") + 1]).read_text()
        if "--summary-md" in args:
            assert (work / args[args.index("--summary-md") + 1]).read_text().startswith("## runreport")
