"""The Chromium the browser tests drive.

Debian's package at /usr/bin/chromium is the one CI uses. Where it is absent
(Ubuntu's `chromium` is a snap stub, macOS), the tests fall back to
Playwright's own build (`python3 -m playwright install chromium`), or to the
browser named by RUNREPORT_CHROMIUM.
"""

from __future__ import annotations

import os
from pathlib import Path

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """The executable to launch; None means Playwright's own Chromium."""
    chosen = os.environ.get("RUNREPORT_CHROMIUM")
    if chosen:
        return chosen
    return str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
