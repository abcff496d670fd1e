"""The README's set-up commands are the ones CI runs, and work as written."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", setup, re.S)


def test_readme_opens_with_exactly_two_setup_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert "runreport build sample_runs -o site" in commands[0]
    assert "pytest" in commands[1] and "chromium" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert setup_commands()[1] in ci.splitlines()


def test_installed_wheel_is_complete(tmp_path):
    """A wheel built from the repository carries its templates and assets and runs on its own."""
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("runreport-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("runreport/templates/") for n in names)
    assert any(n.startswith("runreport/assets/") for n in names)
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    # Run from a folder without the checkout on the path, so only the wheel's files can be found.
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "site"
    subprocess.run([sys.executable, "-I", "-c",
                    "import sys; sys.path.insert(0, sys.argv[1]); from runreport.cli import main; "
                    "main(['build', sys.argv[2], '-o', sys.argv[3]])",
                    str(target), str(ROOT / "tests" / "fixtures" / "spec_example.jsonl"), str(out)],
                   cwd=tmp_path, env=env, check=False, capture_output=True)
    assert (out / "index.html").exists()
    assert not any("/work/main" in p.read_text(errors="ignore") for p in out.rglob("*.html"))
