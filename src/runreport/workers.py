"""Worker processes that never outlive the build that started them.

A build killed from outside (a CI job's timeout sends SIGTERM, then
SIGKILL) gives its workers no chance to be told: without help they are
reparented and keep rendering a site nobody will use. So each worker asks
the kernel to kill it when its parent dies (Linux's PR_SET_PDEATHSIG) and,
where that is not available, watches its parent from a thread.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1
#: How often a worker without PR_SET_PDEATHSIG looks for its parent, in seconds.
_WATCH_INTERVAL = 0.5


def die_with_parent(parent: int) -> None:
    """End this process when `parent` (the process that forked it) ends."""
    if sys.platform.startswith("linux") and _set_parent_death_signal():
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)
        return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _set_parent_death_signal() -> bool:
    import ctypes  # (here: only a worker needs it, and it is slow to import)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_INTERVAL)
    os._exit(1)


def _start(parent: int, then: Callable[[], None] | None) -> None:
    die_with_parent(parent)
    if then is not None:
        then()


def fork_pool(workers: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """A pool of `workers` forked processes (they inherit what is loaded) that die with this one."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start, initargs=(os.getpid(), initializer))
