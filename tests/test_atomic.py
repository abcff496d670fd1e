"""Atomic writes: readers see the old file or the new one; published files are readable."""

from __future__ import annotations

import os
import stat
import threading

from runreport.atomic import write_bytes


def test_files_are_readable_by_a_web_server_whatever_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        write_bytes(tmp_path / "site" / "index.html", b"<!DOCTYPE html>")
    finally:
        os.umask(old)
    path = tmp_path / "site" / "index.html"
    assert path.read_bytes() == b"<!DOCTYPE html>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_leftover_temp_file_neither_blocks_the_write_nor_ends_up_in_it(tmp_path):
    path = tmp_path / "page.html"
    leftover = tmp_path / f".page.html.{os.getpid()}-{threading.get_ident()}.tmp"
    leftover.write_bytes(b"half a file from a crash")
    write_bytes(path, b"whole")
    write_bytes(path, b"whole again")
    assert path.read_bytes() == b"whole again"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([leftover.name, "page.html"])


def test_writing_a_new_file_in_place_never_writes_through_an_existing_link(tmp_path):
    from runreport.atomic import write_new

    kept = tmp_path / "kept.html"
    kept.write_text("a copy kept elsewhere")
    out = tmp_path / "site" / "page.html"
    out.parent.mkdir()
    os.link(kept, out)  # as a snapshot tool's hard links leave it
    write_new(out, b"new page")
    assert out.read_bytes() == b"new page" and kept.read_text() == "a copy kept elsewhere"
    write_new(tmp_path / "site" / "sub" / "x.js", b"x")  # a missing folder is made
    assert (tmp_path / "site" / "sub" / "x.js").stat().st_mode & 0o777 == 0o644
