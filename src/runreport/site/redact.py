"""Redaction of secrets before anything is written.

Values of sensitive headers and of keys that look like passwords, secrets,
tokens or API keys become "[redacted]" wherever they appear: data files,
summary rows, raw views. Strings are looked into as well: a string holding
JSON object or array text (a request body, a body logged as text) is
redacted inside and written back as compact JSON; secret-named parameters
of a URL's query or fragment, or of a form-encoded string
(`grant_type=password&client_secret=...`), lose their values; and a URL's
password (`https://user:password@host`) becomes "[redacted]", the user
name kept. A string with nothing to redact is kept exactly as logged.

Most values hold nothing to redact, so a container is first judged on its
compact JSON text, at C speed. With the default patterns, a text in which
no stem of a secret name occurs at all (lower-cased, separators removed)
and no URL could carry a password holds nothing to redact: one pass of
`str.lower` and substring searches. Otherwise the set of its object keys
(one regex over the text) and whether it could hold a URL, a form-encoded
string or JSON text in a string decide. Only a value that fails both
prechecks is walked and copied; any other is returned as it is.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Iterable
from urllib.parse import unquote_plus

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

# The password of a URL's userinfo, anywhere in a string: after "://", a user name
# (which may hold "@"), ":", then up to the last "@" before the host; the authority
# ends at "/", "?", "#" or white space. A port ("https://host:8080/") has no "@".
_URL_PASSWORD = re.compile(r"(://[^/?#\s:]*:)([^/?#\s]*)@")
# What `_URL_PASSWORD` matches, as it can look in a JSON text, escaped once or more:
# a JSON writer may escape "/" as "\/" (a text holding JSON text doubles the
# backslash), and escapes never add "/", "?", "#" or ":" to the authority.
_URL_PASSWORD_IN_JSON = re.compile(r"/\\*/[^/?#:]*:[^/?#]*@")
# A form-encoded string: `name=value` pairs joined by "&", no white space.
_FORM = re.compile(r"[^\s&=]+=[^\s&]*(?:&[^\s&]*)*")
_JSON_START = ("{", "[")

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


def may_hold_url_password(text: str) -> bool:
    """Whether a URL with a password could occur in `text`, a string or JSON text (False: none can)."""
    return "@" in text and _URL_PASSWORD_IN_JSON.search(text) is not None


def _parse_json_text(value: str) -> Any:
    """The object or array the string `value` holds as JSON text, else None."""
    if value.lstrip()[:1] not in _JSON_START:
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        try:  # orjson refuses numbers beyond a double ("1e999"): the standard parser reads them
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return None
    return parsed if isinstance(parsed, (dict, list)) else None


def _compact_json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # integers beyond 64 bits, read by the standard parser
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


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
        """`value` with secrets replaced: inside JSON text, URLs and form-encoded strings.

        Returns `value` itself when nothing was replaced, so a string is
        only ever rewritten to hide a secret.
        """
        if value.lstrip()[:1] in _JSON_START and (self._stems is None or self._may_hold_secret(value)):
            parsed = _parse_json_text(value)
            if parsed is not None:
                out = self.value(parsed)
                if out is REDACTED:  # nested deeper than the walk goes: hidden whole
                    return REDACTED
                return value if out is parsed else _compact_json(out)
        out = value
        if "@" in out and "://" in out:
            out = _URL_PASSWORD.sub(self._hide_password, out)
        if "://" in out[:16]:
            head, hash_sign, fragment = out.partition("#")
            path, question_mark, query = head.partition("?")
            out = path + question_mark + self._form(query) + hash_sign + self._form(fragment)
        elif "=" in out and _FORM.fullmatch(out):
            out = self._form(out)
        return value if out == value else out

    @staticmethod
    def _hide_password(match: re.Match[str]) -> str:
        return f"{match[1]}{REDACTED}@" if match[2] else match[0]

    def _form(self, text: str) -> str:
        """Form-encoded `text` (or a URL query) with the values of secret-named parameters replaced.

        Names are decoded as a query parser decodes them ("%74oken", "to+ken");
        every other byte of the text is kept as it is.
        """
        if "=" not in text:
            return text
        pairs = text.split("&")
        for i, pair in enumerate(pairs):
            name, equals, _ = pair.partition("=")
            if equals and self.is_secret_key(unquote_plus(name)):
                pairs[i] = f"{name}={REDACTED}"
        return "&".join(pairs)

    def may_change(self, text: str) -> bool:
        """False only when the value whose compact JSON is `text` holds nothing to redact.

        True when some object key is secret, or when some string could be
        a URL with a query or a password, a form-encoded string, or JSON text
        with keys or strings in it (its quotes are escaped in `text`): the
        walk then decides per string.
        """
        if self._stems is not None and not self._may_hold_secret(text):
            return False
        if "://" in text and ("?" in text or "@" in text):
            return True
        if "=" in text or '\\"' in text:
            return True
        for key in json_keys(text):
            if "\\" in key:
                key = orjson.loads(f'"{key}"')
            if self.is_secret_key(key):
                return True
        return False

    def _may_hold_secret(self, text: str) -> bool:
        """Whether the walk could change a value whose JSON text, or a string, is `text` (False: it cannot)."""
        return self._has_stem(text) or may_hold_url_password(text)

    def _has_stem(self, text: str) -> bool:
        """Whether a secret name could occur in `text` (False: none can).

        Names are judged lower-cased with separators removed, so the same is
        done to the whole text: a secret key or parameter name anywhere in
        it leaves its stem in the result. A parameter name may be
        percent-encoded ("%74oken"): a text with "%" and "=" (a URL query, a
        form-encoded string) is never cleared here. Case-insensitive matching
        also pairs i, s and k with "ı", "İ", "ſ" and the Kelvin sign, which
        lower-casing leaves apart: a text with one of them is never cleared
        either. `text` may also be the string itself rather than its JSON
        text: a JSON text inside it holds keys as written, `\\u` escapes aside.
        """
        if not text.isascii() and any(c in text for c in _ASCII_FOLDING):
            return True
        if "\\u" in text:  # JSON text with \u escapes in a string (parsed by the walk)
            return True
        low = text.lower()
        for sep in _STEM_SEPARATORS:
            if sep in low:
                low = low.replace(sep, "")
        if "%" in low and "=" in low:
            return True
        assert self._stems is not None
        return any(stem in low for stem in self._stems)

    def value(self, value: Any) -> Any:
        """`value` with secrets replaced: a copy when something was, else the value itself."""
        if isinstance(value, (dict, list)):
            try:
                text = orjson.dumps(value).decode("utf-8")
            except TypeError:  # beyond what orjson encodes (huge integers): walk it
                text = None
            if text is not None and not self.may_change(text):
                return value
            try:
                return self._walk(value)
            except RecursionError:  # nested too deep to walk (~1,000 levels): publish none of it
                return REDACTED
        if isinstance(value, str):
            return self.text(value)
        return value

    def _walk(self, value: Any) -> Any:
        """A JSON value with secrets replaced: a copy when something was, else the value itself."""
        if isinstance(value, dict):
            out = {k: (REDACTED if v is not None and self.is_secret_key(str(k)) else self._walk(v))
                   for k, v in value.items()}
            # (Kept when unchanged: a string holding JSON text is rewritten only when this is a copy.)
            return value if all(out[k] is v for k, v in value.items()) else out
        if isinstance(value, list):
            out = [self._walk(v) for v in value]
            return value if all(new is old for new, old in zip(out, value)) else out
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
        escaped). So one check of their JSON text clears the whole entry or run.
        """
        if self._stems is None:
            return False
        try:
            text = orjson.dumps(fields).decode("utf-8")
        except (TypeError, UnicodeDecodeError):
            return False
        return not self._may_hold_secret(text)

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
