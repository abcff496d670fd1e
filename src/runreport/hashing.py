"""One canonical content hash, used everywhere a "did this change?" is asked."""

from __future__ import annotations

import hashlib
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


def safe_name(text: str, *, length: int = 40) -> str:
    """A file-name-safe, unique stem for any string (run ids, composer names).

    A readable ASCII slug (so people can find files) plus a hash of the exact
    text (so `a/b`, `a_b`, `A_b` and 200-character ids never collide or
    escape the folder).
    """
    slug = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in text)
    slug = slug.strip("_.-")[:length] or "x"
    return f"{slug}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"
