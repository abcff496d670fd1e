"""Waiting for a state the tests can observe, with a generous deadline and never a fixed sleep.

A loaded CI machine can take seconds where a laptop takes milliseconds (a
rebuild, a page load, a file event): tests wait for the state a user would see
and return as soon as it is there, so the deadline costs nothing when they pass.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import TypeVar

#: Seconds to wait for an expected state before failing.
DEADLINE = 30.0
#: Milliseconds, the same deadline for Playwright's waits.
DEADLINE_MS = int(DEADLINE * 1000)

T = TypeVar("T")


def _describe(check: Callable) -> str:
    try:
        return inspect.getsource(check).strip()
    except (OSError, TypeError):
        return repr(check)


def wait_for(check: Callable[[], T], what: str | None = None, timeout: float = DEADLINE) -> T:
    """Call `check` until it returns something true; return that.

    A missing file or a failed assertion counts as "not yet" (files are
    replaced while a build runs); after `timeout` seconds the test fails,
    saying what it waited for and what it saw last.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
            last = result
        except (OSError, AssertionError) as exc:
            result = None
            last = exc
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f} s: "
                                 f"{what or _describe(check)} (last seen: {last!r})")
        time.sleep(0.05)
