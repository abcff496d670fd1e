"""Every secret shape the redaction knows, in one log: none reaches the site or stderr.

`tests/fixtures/secrets.jsonl` holds a secret in each shape docs/format.md
lists (secret key names, header lists, free text, stack traces, JSON inside
strings, token shapes, a masked environment value, a mistyped field); each
secret holds the mark SEKRET.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "secrets.jsonl"
MARK = b"SEKRET"


def test_no_secret_of_the_corpus_reaches_any_file_of_the_site_or_stderr(tmp_path):
    assert FIXTURE.read_bytes().count(MARK) >= 39
    out = tmp_path / "site"
    env = {**os.environ, "DEPLOY_SECRET": "SEKRET35-deploy-env-value"}
    done = subprocess.run([sys.executable, "-m", "runreport", "build", str(FIXTURE), "-o", str(out),
                           "--mask-env", "DEPLOY_SECRET"], capture_output=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert MARK not in done.stderr and MARK not in done.stdout
    leaked = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and MARK in p.read_bytes()]
    assert leaked == []
    # What is not secret is still shown.
    shown = b"".join(p.read_bytes() for p in out.rglob("*.js"))
    for kept in (b"application/json", b"grant_type=password", b"retrying with Bearer [redacted]",
                 b"HOME=/root", b"login failed", b"ann"):
        assert kept in shown, kept
    for command in (["summary", "--json"], ["validate"]):
        other = subprocess.run([sys.executable, "-m", "runreport", command[0], str(FIXTURE), *command[1:]],
                               capture_output=True, env=env, timeout=300)
        assert MARK not in other.stderr, command
