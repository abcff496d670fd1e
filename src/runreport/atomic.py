"""Atomic file writes: a reader sees the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


#: Mode of what a build publishes: readable by a web server, whatever the umask.
PUBLIC = 0o644
#: Mode of the store's files: they hold (or point to) the input as logged, secrets included.
PRIVATE = 0o600


def _write_all(fd: int, data: bytes, mode: int, durable: bool = False) -> None:
    """Give a file just created with `mode` that mode whatever the umask, write `data`
    (flushed to disk when `durable`) and close it.

    No file object: a build writes tens of thousands of files. A chmod only
    when the file lacks the mode (the umask took from it, or mkstemp made it),
    since each chmod dirties the inode once more and a stat does not.
    """
    try:
        if os.fstat(fd).st_mode & 0o7777 != mode:
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def _open_in(folder: Path, path: str | Path, flag: int, mode: int) -> int:
    """Open `path` (in `folder`) to write, with `flag`; the folder is made only when missing."""
    flags = os.O_WRONLY | os.O_CREAT | flag | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags, mode)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(path, flags, mode)


@contextmanager
def staged(path: Path, data: bytes, *, durable: bool = False, mode: int = PUBLIC) -> Iterator[str]:
    """A temp file beside `path` holding `data`; removed on exit unless it was moved.

    The temp file lives in the same folder because a rename is only atomic
    within one file system; its name holds the process and thread, so
    concurrent writers of one machine never share one, and it is opened
    exclusively, with a random name when it exists (a build writes tens of
    thousands of files: `tempfile.mkstemp`'s random names and a `mkdir` per
    file cost more than the writes, so they are the fallback, and the folder
    is made only when the open finds it missing). `durable` also flushes
    the file to disk first, for files people keep (the Library); the site
    and the store are rebuilt from the inputs after a crash, so they skip
    the cost.
    """
    tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        fd = _open_in(path.parent, tmp, os.O_EXCL, mode)
    except FileExistsError:  # left by a crash, or another host's process with our pid
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _write_all(fd, data, mode, durable)
        yield tmp
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def write_bytes(path: Path, data: bytes, *, durable: bool = False, mode: int = PUBLIC) -> None:
    """Replace `path` with `data` through a temp file in the same folder and a rename."""
    with staged(path, data, durable=durable, mode=mode) as tmp:
        os.replace(tmp, path)


def write_text(path: Path, text: str, *, durable: bool = False) -> None:
    write_bytes(path, text.encode("utf-8"), durable=durable)


def write_new(path: Path, data: bytes, *, mode: int = PUBLIC) -> None:
    """Write `path` in place: for a file no reader has yet (a first build's), where a
    temp file and a rename would only cost; a build interrupted half-way leaves no
    manifest, so the next build rewrites everything. A file already there (left by
    such a build) is replaced, never written through: it may be a hard link to a
    copy kept elsewhere."""
    try:
        fd = _open_in(path.parent, path, os.O_EXCL, mode)
    except FileExistsError:
        os.unlink(path)
        fd = _open_in(path.parent, path, os.O_EXCL, mode)
    _write_all(fd, data, mode)
