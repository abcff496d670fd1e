"""Safe, unique file names and HTML anchors for arbitrary ids.

File names of ids (`safe_name`) follow one rule for the site and the store,
kept in :mod:`runreport.hashing`; entry anchors are the site's own.
"""

from __future__ import annotations

import re
from functools import lru_cache

from runreport.hashing import digest, safe_name, slug  # noqa: F401  (names of ids live here)

_ANCHOR_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@lru_cache(maxsize=8192)  # (runs share their entry ids: e1, e2, …; asked per entry, per bar)
def entry_anchor(entry_id: str) -> str:
    """The HTML id of an entry: `entry-<id>` for plain ids, else `entry-h-<hash>`.

    Plain means 1-64 chars of ASCII letters, digits, '_' and '-': such ids
    are safe in an id attribute and in a URL fragment unchanged, so the
    deep link reads `#entry-e3`. Anything else (spaces, '#', '/', non-ASCII)
    is replaced by a hash; the page script also resolves
    `#entry-<percent-encoded id>` by comparing with `data-entry-id`.
    """
    if _ANCHOR_SAFE.fullmatch(entry_id) and not entry_id.startswith("h-"):
        return f"entry-{entry_id}"
    return f"entry-h-{digest(entry_id)}"


def error_anchor(entry_id: str) -> str:
    """The HTML id of a failing entry's message (`error-<id>`, as entry_anchor spells it):
    a link to it opens the entry with its Error section shown."""
    return "error-" + entry_anchor(entry_id)[len("entry-"):]
