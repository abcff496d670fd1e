"""Safe, unique file names and HTML anchors for arbitrary ids.

Run ids and composer names are untrusted strings (`../x`, `a/b`, 200
characters, non-ASCII, ids that differ only by case on a case-insensitive
file system). A name is an ASCII slug for people (at most SLUG_MAX chars)
plus the first 10 hex digits of the SHA-256 of the exact id, so two ids never
share a file and no id can leave the output folder.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

SLUG_MAX = 40
HASH_LEN = 10

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_ANCHOR_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def digest(text: str) -> str:
    """First HASH_LEN hex digits of the SHA-256 of `text` (UTF-8, lone surrogates kept)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LEN]


def slug(text: str) -> str:
    """Lower-case ASCII words joined by '-', at most SLUG_MAX chars ('' if none)."""
    ascii_text = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")


@lru_cache(maxsize=65536)  # listings ask for the same runs' and composers' names again
def safe_name(text: str) -> str:
    """A file name stem for `text`: `<slug>-<hash>`, or just `<hash>` without a slug.

    The stem always ends in '-' + 10 hex digits or is 10 hex digits, which is
    why fixed names like `page-2` can live in the same folder without clashing.
    """
    s = slug(text)
    return f"{s}-{digest(text)}" if s else digest(text)


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
