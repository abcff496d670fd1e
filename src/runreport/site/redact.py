"""Redaction of secrets before anything is written.

Values of sensitive headers and of keys that look like passwords, secrets,
tokens or API keys become "[redacted]" wherever they appear: data files,
summary rows, raw views, and query parameters of URL strings.

Most values hold nothing to redact, so a container is first judged on its
compact JSON text, at C speed. With the default patterns, a text in which
no stem of a secret name occurs at all (lower-cased, separators removed)
holds nothing to redact: one pass of `str.lower` and substring searches.
Otherwise the set of its object keys (one regex over the text) and whether
it could hold a URL with a query decide. Only a value that fails both
prechecks is walked and copied; any other is returned as it is.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

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

_SEPARATORS = re.compile(r"[-_ .]")

#: A substring of every name the default rules call secret, once lower-cased and with
#: separators removed (SECRET_HEADERS: "x-api-key" -> "xapikey" holds "apikey";
#: "set-cookie" holds "cookie"; "auth" covers "authorization" and "^auth$").
_DEFAULT_STEMS = ("passw", "passphrase", "secret", "token", "apikey", "accesskey",
                  "privatekey", "credential", "auth", "cookie", "sessionid", "signature")
#: Removed from a text before looking for stems: the key separators, and "+", which a
#: URL query decodes to a space (a separator).
_STEM_SEPARATORS = ("-", "_", " ", ".", "+")
#: Letters that match an ASCII letter under re.IGNORECASE but do not lower-case to it.
_ASCII_FOLDING = ("\u0130", "\u0131", "\u017f", "\u212a")

# Object keys in compact JSON text. `"([^"]*)":` finds every key when no
# string holds an escaped quote and no key starts with ':' (then a match
# could start inside a string, or end on a key's opening quote); otherwise
# the exact tokenizer walks every string in order and keeps those before ':'.
_KEYS_FAST = re.compile(r'"([^"]*)":')
_KEYS_EXACT = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)":|"[^"\\]*(?:\\.[^"\\]*)*"')

#: Distinct keys remembered per Redactor (a log keyed by ids could have many).
_KEY_CACHE_LIMIT = 100_000


def json_keys(text: str) -> set[str]:
    """Every object key in the compact JSON `text` (escaped as in the text)."""
    if '\\"' in text or '{":' in text or ',":' in text:
        keys = set(_KEYS_EXACT.findall(text))
        keys.discard("")
        if '"":' in text:
            keys.add("")
        return keys
    return set(_KEYS_FAST.findall(text))


class Redactor:
    """Replaces secret values in JSON values, summary rows and URLs."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        patterns = list(DEFAULT_KEY_PATTERNS) + [p for p in extra_patterns if p]
        self._key_re = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        # Extra patterns are regular expressions: no stem is known for them.
        self._stems = None if len(patterns) > len(DEFAULT_KEY_PATTERNS) else _DEFAULT_STEMS
        self._secret: dict[str, bool] = {}  # key -> is it secret (a log has few distinct keys)

    def is_secret_key(self, key: str) -> bool:
        hit = self._secret.get(key)
        if hit is None:
            if len(self._secret) >= _KEY_CACHE_LIMIT:
                self._secret.clear()
            hit = self._secret[key] = self._decide(key)
        return hit

    def _decide(self, key: str) -> bool:
        if key.strip().lower() in SECRET_HEADERS:
            return True
        return bool(self._key_re.search(_SEPARATORS.sub("", key.lower())))

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

    def may_change(self, text: str) -> bool:
        """False only when the value whose compact JSON is `text` holds nothing to redact.

        True when some string could be a URL with a query (the walk then
        decides per string) or some object key is secret.
        """
        if self._stems is not None and not self._has_stem(text):
            return False
        if "?" in text and "://" in text:
            return True
        for key in json_keys(text):
            if "\\" in key:
                key = orjson.loads(f'"{key}"')
            if self.is_secret_key(key):
                return True
        return False

    def _has_stem(self, text: str) -> bool:
        """Whether a secret name could occur in `text` (False: none can).

        Names are judged lower-cased with separators removed, so the same is
        done to the whole text: a secret key or query parameter anywhere in
        it leaves its stem in the result. A query parameter may be
        percent-encoded ("%74oken"): a URL text with "%" is never cleared here.
        Case-insensitive matching also pairs i, s and k with "ı", "İ", "ſ" and
        the Kelvin sign, which lower-casing leaves apart: a text with one of them
        is never cleared either.
        """
        if not text.isascii() and any(c in text for c in _ASCII_FOLDING):
            return True
        if "\\\\u" in text:  # a string holding JSON with \u escapes (a body parsed later)
            return True
        low = text.lower()
        for sep in _STEM_SEPARATORS:
            if sep in low:
                low = low.replace(sep, "")
        if "%" in low and "?" in low:
            return True
        assert self._stems is not None
        return any(stem in low for stem in self._stems)

    def value(self, value: Any) -> Any:
        """`value` with secrets replaced: a copy when something was, else the value itself."""
        if isinstance(value, (dict, list)):
            try:
                text = orjson.dumps(value).decode("utf-8")
            except TypeError:  # beyond what orjson encodes (huge integers): walk it
                return self._walk(value)
            return self._walk(value) if self.may_change(text) else value
        if isinstance(value, str):
            return self.text(value)
        return value

    def _walk(self, value: Any) -> Any:
        """A copy of a JSON value with secrets replaced."""
        if isinstance(value, dict):
            return {
                k: (REDACTED if v is not None and self.is_secret_key(str(k)) else self._walk(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _shared(self, value: Any, memo: dict[int, tuple[Any, Any]], depth: int) -> Any:
        """`value(value)`, remembered per object: an entry's sections are parts of its raw fields.

        The top levels of the raw fields are walked key by key (the same
        key rule as the walk) so the section objects inside them are found
        in `memo` instead of being checked twice.
        """
        if not isinstance(value, (dict, list)):
            return self.value(value)
        seen = memo.get(id(value))
        if seen is not None:
            return seen[1]
        if depth > 0 and isinstance(value, dict):
            out = {k: (REDACTED if v is not None and self.is_secret_key(str(k))
                       else self._shared(v, memo, depth - 1))
                   for k, v in value.items()}
            if all(out[k] is v for k, v in value.items()):
                out = value  # nothing redacted: keep the object itself
        else:
            out = self.value(value)
        memo[id(value)] = (value, out)  # (the value itself keeps its id from being reused)
        return out

    def _clear(self, fields: Any) -> bool:
        """True when nothing derived from these merged fields can hold a secret.

        An entry's sections, summary rows and review, and a run's error,
        trigger, meta and other fields, are all made from its merged fields
        (a response body string is parsed, but its keys are in the text,
        escaped). So one stem check of their JSON text clears the whole entry
        or run.
        """
        if self._stems is None:
            return False
        try:
            text = orjson.dumps(fields).decode("utf-8")
        except (TypeError, UnicodeDecodeError):
            return False
        return not self._has_stem(text)

    def entry(self, entry: Entry) -> Entry:
        if self._clear(entry.raw):
            return entry
        memo: dict[int, tuple[Any, Any]] = {}
        summary = tuple(
            (label, REDACTED if self.is_secret_key(label) else self.value(v))
            for label, v in entry.summary
        )
        sections = tuple(Section(s.key, self._shared(s.value, memo, 0)) for s in entry.sections)
        return dataclasses.replace(
            entry,
            summary=summary,
            sections=sections,
            raw=self._shared(entry.raw, memo, 3),  # raw > http > response > body
            review=self._shared(entry.review, memo, 0),
        )

    def run(self, run: Run) -> Run:
        """`run` with every secret replaced by REDACTED (unchanged parts are shared)."""
        entries = tuple(self.entry(e) for e in run.entries)
        if self._clear([run.other_fields, run.error, run.trigger, run.meta]):
            if all(new is old for new, old in zip(entries, run.entries)):
                return run
            return dataclasses.replace(run, entries=entries)
        return dataclasses.replace(
            run,
            error=self.value(run.error),
            trigger=self.value(run.trigger),
            meta=self.value(run.meta),
            other_fields=self.value(run.other_fields),
            entries=entries,
        )
