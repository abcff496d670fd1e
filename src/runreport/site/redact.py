"""Redaction of secrets before anything is written.

Values of sensitive headers and of keys that look like passwords, secrets,
tokens or API keys become "[redacted]" wherever they appear: data files,
summary rows, raw views, and query parameters of URL strings.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from runreport.model import Entry, Run, Section

REDACTED = "[redacted]"

#: Header names whose values are always secret (compared case-insensitively).
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
)

#: Key patterns (searched in the lower-cased key with '-', '_', ' ' and '.' removed).
DEFAULT_KEY_PATTERNS = (
    r"passw(or)?d",
    r"passphrase",
    r"secret",
    r"token",
    r"apikey",
    r"accesskey",
    r"privatekey",
    r"credential",
    r"authorization",
    r"cookie",
    r"^auth$",
    r"sessionid",
    r"signature",
)


class Redactor:
    """Replaces secret values in JSON values, summary rows and URLs."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        patterns = list(DEFAULT_KEY_PATTERNS) + [p for p in extra_patterns if p]
        self._key_re = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)

    def is_secret_key(self, key: str) -> bool:
        if key.strip().lower() in SECRET_HEADERS:
            return True
        compact = re.sub(r"[-_ .]", "", key.lower())
        return bool(self._key_re.search(compact))

    def text(self, value: str) -> str:
        """Redact secret-named query parameters of a URL string; other strings unchanged."""
        if "?" not in value or "://" not in value[:16]:
            return value
        try:
            parts = urlsplit(value)
            pairs = parse_qsl(parts.query, keep_blank_values=True)
        except ValueError:
            return value
        if not any(self.is_secret_key(k) for k, _ in pairs):
            return value
        query = urlencode(
            [(k, REDACTED if self.is_secret_key(k) else v) for k, v in pairs], safe="[]"
        )
        return urlunsplit(parts._replace(query=query))

    def value(self, value: Any) -> Any:
        """A copy of a JSON value with secrets replaced."""
        if isinstance(value, dict):
            return {
                k: (REDACTED if self.is_secret_key(str(k)) and v is not None else self.value(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def entry(self, entry: Entry) -> Entry:
        summary = tuple(
            (label, REDACTED if self.is_secret_key(label) else self.value(v))
            for label, v in entry.summary
        )
        sections = tuple(Section(s.key, self.value(s.value)) for s in entry.sections)
        return dataclasses.replace(
            entry,
            summary=summary,
            sections=sections,
            raw=self.value(entry.raw),
            review=self.value(entry.review),
        )

    def run(self, run: Run) -> Run:
        """A copy of `run` with every secret replaced by REDACTED."""
        return dataclasses.replace(
            run,
            error=self.value(run.error),
            trigger=self.value(run.trigger),
            meta=self.value(run.meta),
            raw=self.value(run.raw),
            entries=tuple(self.entry(e) for e in run.entries),
        )
