"""One writer at a time for a site and its store.

Two builds writing one output folder at once (`watch` running while someone
types `runreport build`) would interleave their files and manifests and
leave a site that neither wrote. So a build takes an exclusive lock first:
`flock` on a lock file in the output folder and another in the store, held
by the open file, so the kernel releases it when the process ends however it
ends (a killed build never leaves a stale lock). The holder writes its pid
into the store's lock file, so the one waiting can say who it waits for.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from runreport.atomic import PRIVATE, PUBLIC

#: The lock file in the output folder (a build never deletes it, a server never serves it).
SITE_LOCK = ".runreport-lock"
#: The lock file in the store folder.
STORE_LOCK = "lock"
#: Seconds between two tries while waiting.
_POLL = 0.1


class Busy(Exception):
    """Another process holds the lock and did not let go in time."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        self.folder, self.pid = folder, pid
        holder = f" (pid {pid})" if pid else ""
        super().__init__(f"another build is writing {folder}{holder}")


def _holder(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text("ascii").strip()
        return int(text) if text.isdigit() else None
    except (OSError, UnicodeDecodeError):
        return None


@contextmanager
def _locked(lock_file: Path, mode: int, deadline: float, pid_file: Path,
            on_wait: Callable[[Busy], None] | None) -> Iterator[int]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                busy = Busy(lock_file.parent, _holder(pid_file))
                if time.monotonic() >= deadline:
                    raise busy from None
                if not told and on_wait is not None:
                    on_wait(busy)
                    told = True
                time.sleep(_POLL)
        yield fd
    finally:
        os.close(fd)  # (releases the lock)


@contextmanager
def writing(output: Path, store: Path, *, wait: float = 0.0,
            on_wait: Callable[[Busy], None] | None = None) -> Iterator[None]:
    """Hold the output folder and its store for writing; raise Busy after `wait` seconds.

    `on_wait` is called once if the lock is not free at once (to say why
    nothing happens). The output is locked before the store, always in that
    order, so two writers never each hold one and wait for the other.
    """
    deadline = time.monotonic() + wait
    # The pid goes into the store's lock file only: the site's stays empty, so a site is
    # the same bytes whoever built it, and a build that changes nothing touches nothing.
    pid_file = Path(store) / STORE_LOCK
    with ExitStack() as stack:
        stack.enter_context(_locked(Path(output) / SITE_LOCK, PUBLIC, deadline, pid_file, on_wait))
        fd = stack.enter_context(_locked(pid_file, PRIVATE, deadline, pid_file, on_wait))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
