"""The README's set-up commands are the ones CI runs, and work as written."""

from __future__ import annotations

import os
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


def test_the_first_command_works_as_written_in_a_fresh_checkout(tmp_path):
    """Command 1, verbatim, in a copy of the repository: a virtual environment, then the sample site."""
    checkout = tmp_path / "checkout"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = checkout / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    # The machine's own settings stay (pip's index and certificates live in the environment
    # and the user's pip.conf); only this Python goes first on the PATH, and nothing of an
    # active virtual environment is inherited.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = str(Path(sys.executable).parent) + ":/usr/local/bin:/usr/bin:/bin"
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore")
    done = subprocess.run(["sh", "-c", setup_commands()[0]], cwd=checkout, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (checkout / ".venv" / "bin" / "runreport").is_file()
    assert len(list((checkout / "site" / "runs").glob("*.html"))) == 39
    assert "39 runs" in done.stdout + done.stderr
