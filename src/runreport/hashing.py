"""One canonical content hash (everywhere a "did this change?" is asked), and file names of ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from functools import lru_cache
from typing import Any

import orjson


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys: equal values give equal bytes.

    JSON itself tags the types that matter here (1, 1.0, "1", true and null
    all serialise differently), so no extra tagging is needed.
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- file names of ids --------------------------------------------------------
# Run ids and composer names are untrusted strings (`../x`, `a/b`, 200
# characters, non-ASCII, ids that differ only by case on a case-insensitive
# file system). A name is an ASCII slug for people (at most SLUG_MAX chars)
# plus the first HASH_LEN hex digits of the SHA-256 of the exact id, so two
# ids never share a file and no id can leave its folder. One rule for the
# site's files and the store's.

SLUG_MAX = 40
HASH_LEN = 10

_NON_SLUG = re.compile(r"[^a-z0-9]+")


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


# --- blocks of runs -------------------------------------------------------------
# The site's manifest keeps its runs' entries in BLOCK_COUNT files (runreport.site.
# manifest), so that a rebuild after an appended run reads and writes the entries of one
# block, not those of every run (100,000 runs: 41 MB).

BLOCK_COUNT = 256
BLOCK_NAMES = tuple(f"{n:02x}" for n in range(BLOCK_COUNT))


def block_of(run_id: str) -> str:
    """The block of a run: two hex digits of a CRC of its id (cheap for 100,000 ids, and
    the same in every process, unlike `hash`)."""
    return BLOCK_NAMES[zlib.crc32(run_id.encode("utf-8", "surrogatepass")) % BLOCK_COUNT]
