"""What went wrong in a run, in one line: its first error, or its rejected review (pure).

The Runs page's cards, the CI outputs (JUnit, job summary, `summary
--details`) and the error entries' summary lines all say it the same way.
Nothing here redacts: callers pass `shown`, which returns a value as it may
be published (the site's redactor), or redact the line they get.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

if TYPE_CHECKING:
    from runreport.model import Entry, Run

#: Characters of a one-line message before it is cut with "…".
MESSAGE_LENGTH = 200


class FirstError(msgspec.Struct, frozen=True):
    entry_id: str | None  # None: the run's own error
    step: str  # the failing step's name, or "run"
    message: str  # one line
    kind: str  # the error's type, or "error"
    badges: tuple[str, ...] = ()  # the failing entry's "iteration N" / "page N"
    endpoint: str | None = None  # a failing HTTP request's method, host and path


def endpoint(entry: Entry) -> str | None:
    """"POST api.example.com/orders" of a failing HTTP step: its request's method, host and
    path (no query, no credentials), or None for a step that is no HTTP request."""
    if entry.kind != "http" and entry.http_status is None:
        return None
    section = entry.section("input")
    request = section.value if section is not None else None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(request["url"])
        host = parts.hostname or ""
    except ValueError:
        return None
    method = request.get("method") if isinstance(request.get("method"), str) else ""
    return " ".join(p for p in (method.upper(), f"{host}{parts.path}" or "/") if p)


def one_line(text: str, limit: int = MESSAGE_LENGTH) -> str:
    """The first non-blank line of `text`, cut to `limit` characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # (integers beyond 64 bits, kept as text by the reader, are strings already)
        return str(value)


def error_message(value: Any) -> tuple[str, str]:
    """(one-line message, type) of an error value as logged: an object with `message`
    (and `type`), an HTTP response (its status and its body's message), or text."""
    if isinstance(value, dict):
        kind = value.get("type") if isinstance(value.get("type"), str) else "error"
        status = value.get("status")
        if isinstance(status, int) and not isinstance(status, bool):
            body = value.get("body")
            said = body.get("message") or body.get("error") if isinstance(body, dict) else body
            said = said if isinstance(said, str) else None
            return one_line(f"HTTP {status}" + (f": {said}" if said else "")), f"HTTP {status}"
        message = value.get("message")
        if isinstance(message, str) and message.strip():
            return one_line(message), kind
        return one_line(_text_of(value)), kind
    if value is None:
        return "", "error"
    return one_line(_text_of(value)), "error"


def _entry_message(entry: Entry, shown: Callable[[Any], Any] | None) -> tuple[str, str]:
    """(one-line message or "step failed", type) of a failing entry's Error section."""
    section = entry.section("error")
    value = section.value if section else None
    message, kind = error_message(shown(value) if shown and value is not None else value)
    return message or "step failed", kind


def entry_error(entry: Entry, shown: Callable[[Any], Any] | None = None) -> str:
    """The one-line message of a failing entry (its Error section), or "step failed"."""
    return _entry_message(entry, shown)[0]


def first_error(run: Run, shown: Callable[[Any], Any] | None = None) -> FirstError | None:
    """The first failing step in display order, else the run's own error, else None."""
    for e in run.entries:
        if e.status == "error":
            message, kind = _entry_message(e, shown)
            return FirstError(e.entry_id, e.name, message, kind, tuple(e.badges), endpoint(e))
    if run.error is not None:
        message, kind = error_message(shown(run.error) if shown else run.error)
        return FirstError(None, "run", message or "run failed", kind)
    return None


def first_rejection(run: Run) -> FirstError | None:
    """The first rejected review in display order: its step, and who rejected it and why."""
    for e in run.entries:
        if e.status == "rejected":
            review = e.review if isinstance(e.review, dict) else {}
            reviewer = review.get("reviewer")
            comment = review.get("comment")
            said = "rejected" + (f" by {reviewer}" if isinstance(reviewer, str) and reviewer else "")
            if isinstance(comment, str) and comment.strip():
                said += f": {comment}"
            return FirstError(e.entry_id, e.name, one_line(said), "rejected", tuple(e.badges))
    return None
