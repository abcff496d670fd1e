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

Redaction works on the bytes that get written (:meth:`Redactor.json`):
a value is serialized once, and its compact JSON is judged in one pass of
an automaton (RE2, :mod:`runreport.site.bytepattern`) that looks only where
a secret can be named: strings that could carry one in their own structure
(JSON text inside a string, its quotes escaped; a URL with a password; a
query parameter, form field, `NAME=value` assignment or header line whose
name holds a stem of a secret name; the shapes of known tokens), and object
keys the rules call secret, as a key reads in the text. Words in prose
("OAuth token", "author", "cookie consent") name nothing and cost nothing.
The same pass tells whether a string may be Markdown. A value whose only
secrets are scalars under secret keys is redacted in its text; any other
hit walks the value (the exact rule) and serializes it again.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable
from urllib.parse import unquote_plus

import orjson

from runreport.jsontext import NOT_AS_WRITTEN, RawJSON
from runreport.site import bytepattern, markdown

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
    r"^pwd$",
    r"^pass$",
    r"^pin$",
    r"^otp$",
    r"jwt",
    r"authkey",
    r"key$",  # stripe_key, signing-key, key= in a URL
    r"^sig$",
)

_SEPARATORS = re.compile(r"[-_ .]")

#: A substring of every name the default rules call secret, once lower-cased and with
#: separators removed (SECRET_HEADERS: "x-api-key" -> "xapikey" holds "key";
#: "set-cookie" holds "cookie"; "auth" covers "authorization", "authkey" and "^auth$";
#: "pass" covers "passw(or)?d", "passphrase" and "^pass$"; "sig" covers "signature").
_DEFAULT_STEMS = ("pass", "pwd", "secret", "token", "key", "credential", "auth", "cookie",
                  "sessionid", "sig", "pin", "otp", "jwt")
#: Removed from a text before looking for stems: the key separators, and "+", which a
#: URL query decodes to a space (a separator).
_STEM_SEPARATORS = b"-_ .+"
#: Letters that match an ASCII letter under re.IGNORECASE but do not lower-case to it.
_ASCII_FOLDING = ("\u0130", "\u0131", "\u017f", "\u212a")

# The password of a URL's userinfo, anywhere in a string: after "://", a user name
# (which may hold "@"), ":", then up to the last "@" before the host; the authority
# ends at "/", "?", "#" or white space. A port ("https://host:8080/") has no "@".
_URL_PASSWORD = re.compile(r"(://[^/?#\s:]*:)([^/?#\s]*)@")
# What `_URL_PASSWORD` matches, as it can look in a JSON text, escaped once or more:
# a JSON writer may escape "/" as "\/" (a text holding JSON text doubles the
# backslash), and escapes never add "/", "?", "#" or ":" to the authority.
_URL_PASSWORD_IN_JSON = re.compile(r"/\\*/[^/?#:]*:[^/?#]*@")
# `NAME=value` in free text: a name not glued to a word before it, then a value up to
# white space or a separator ('&' of a query, '#' of a fragment, ';' or ',' of a list),
# or a quoted one.
_ASSIGNMENT = re.compile(r"""(?<![\w.%])([A-Za-z_][\w.-]*)=("[^"]*"|'[^']*'|[^\s&;,#'"]+)""")
# `Name: value` in text, as HTTP header lines are written: a name not glued to a word
# before it, a colon, spaces, then the value up to the end of the line or a quote.
_HEADER_LINE = re.compile(r"""(?<![\w-])(([A-Za-z][\w-]*):[ \t]*)([^\r\n'"]+)""")
# A quoted name and a quoted value, as a dict or a config is printed into a message or a
# stack trace: `{'password': 'hunter2'}`, `"api_key" = "…"`.
_QUOTED_PAIR = re.compile(r"""(['"])([A-Za-z_][\w.-]*)\1([ \t]*[:=][ \t]*)(['"])([^'"\r\n]*)\4""")
# Secrets known by their shape, wherever they are: a credential after an HTTP scheme word
# (kept when it looks like a word: "Basic plan"), a JWT, a PEM private key, and the
# prefixed keys of common clouds and services (AWS, GitHub, Slack, Stripe, Google,
# OpenAI, Anthropic, GitLab, npm, SendGrid).
_TOKEN_SHAPES = re.compile(
    r"(?P<scheme>\b(?:Bearer|Basic) +)(?P<cred>[A-Za-z0-9\-._~+/]{8,}=*)"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r"|\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{22,}"
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"
    r"|\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|\bAIza[0-9A-Za-z_-]{35}"
    r"|\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"
    r"|\bglpat-[A-Za-z0-9_-]{20,}"
    r"|\bnpm_[A-Za-z0-9]{36}"
    r"|\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
    re.DOTALL)
# A credential, not a word: it holds a digit, a symbol, or a capital after its first letter.
_CREDENTIAL = re.compile(r".[^a-z]|[0-9\-._~+/=]")
#: ASCII letters and digits -> "t", anything else -> " ": every token shape above but
#: the scheme words holds a run of _LONG_RUN "t"s, so a text without one holds none.
_TOKEN_CLASSES = bytes(ord("t") if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else 32
                       for c in range(256))
_LONG_RUN = b"t" * 16
#: The scheme words as HTTP clients write them (other spellings are read as prose).
_SCHEME_WORDS_B = (b"Bearer ", b"Basic ")
#: Environment variable values shorter than this are not masked: they would mask ordinary text.
MIN_MASKED_LENGTH = 4
# A form-encoded string: `name=value` pairs joined by "&", no white space.
_FORM = re.compile(r"[^\s&=]+=[^\s&]*(?:&[^\s&]*)*")
_JSON_START = ("{", "[")

#: Distinct keys remembered per Redactor (a log keyed by ids could have many).
_KEY_CACHE_LIMIT = 100_000


#: ASCII upper case to lower case, for bytes.translate (which drops the separators in the same pass).
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
#: UTF-8 of the letters in _ASCII_FOLDING.
_ASCII_FOLDING_B = tuple(c.encode() for c in _ASCII_FOLDING)
#: A key whose text could start a match inside another token (see Redactor._patch): walked, not patched.
_PLAIN_KEY = re.compile(rb"[^\\{}\[\],:]*")

# What one pass over a value's compact JSON tells (see Redactor._scan), as bits.
_WALK = 1  # something only the walk can judge: the value is walked
_SECRET_KEY = 2  # a key the rules call secret
_PAIR_VALUE = 4  # a "value" key ...
_PAIR_NAME = 8  # ... and a "name" or "key" key: maybe a name/value header pair
_MARKDOWN = 16  # a Markdown hint (markdown.JSON_HINTS_ASCII; meaningful for ASCII text)
_NOT_ASCII = 32
_NOT_AS_WRITTEN = 64  # text orjson might write otherwise (jsontext.NOT_AS_WRITTEN): parsed first
#: What a key loses before the key rules are searched in it (_SEPARATORS), and a name
#: in a query or form besides ("+", a space once decoded).
_KEY_SEP = rb"[-_ .]*"
_NAME_SEP = rb"[-_ .+]*"
#: Ends a header line's name, going back from its colon (see Redactor.text).
_HEADER_NAME_CHAR = rb"""[^ \t\n\r\x0b\x0c"':]"""


def _spaced(word: bytes, sep: bytes) -> bytes:
    """A pattern of `word` with `sep` after each of its letters: the word as written with
    separators anywhere in it."""
    return re.sub(rb"[a-z]", lambda letter: letter[0] + sep, word)


def _key_rule_in_json(rule: str) -> bytes:
    """A default key rule as a key reads in compact JSON text, `"key":`: its letters in
    any case with separators between them, "^" after the opening quote, "$" before the
    closing one (or before a final newline, as Python's "$" allows)."""
    head = b'"' + _KEY_SEP if rule.startswith("^") else b""
    tail = rb'(?:\\n' + _KEY_SEP + rb')?":' if rule.endswith("$") else rb'[^"]*":'
    return b"(?i)" + head + _spaced(rule.strip("^$").encode(), _KEY_SEP) + tail


def _triage_patterns(stems: tuple[str, ...] | None, masked: tuple[bytes, ...]) -> list[tuple[bytes, int]]:
    """The patterns of Redactor._scan's single pass, each with its group.

    Read on text with no escaped quote (one of the _WALK patterns), every
    quote in it opens or closes a string and `":` ends a key.
    """
    patterns = [
        (rb'\\["u]', _WALK),  # JSON text inside a string; an escaped letter of a key
        (_URL_PASSWORD_IN_JSON.pattern.encode(), _WALK),  # a URL's password
        *((bytepattern.literal(c), _WALK) for c in _ASCII_FOLDING_B),
        *((bytepattern.literal(word), _WALK) for word in _SCHEME_WORDS_B),  # (may_hold_token)
        (rb"[A-Za-z0-9]{%d}" % len(_LONG_RUN), _WALK),
        *((bytepattern.literal(m), _WALK) for m in masked),
        (rb'"value":', _PAIR_VALUE),
        (rb'"(?:name|key)":', _PAIR_NAME),
        (markdown.JSON_HINTS_ASCII.encode(), _MARKDOWN),
        (rb"[\x80-\xff]", _NOT_ASCII),
        *((pattern, _NOT_AS_WRITTEN) for pattern in NOT_AS_WRITTEN),
    ]
    if stems is None:  # rules of the user's own: every key is decided, and any name in a string
        return patterns + [
            (rb'":', _SECRET_KEY),
            (rb"=", _WALK),
            (rb'(?:^|[,:\[])":|[^"]:', _WALK),  # a ":" that ends no key
        ]
    # A stem in the name of a parameter, form field or assignment (the text before a "="
    # back to a quote, "&" or "="), or of a header line (before a ":" back to white space,
    # a quote or ":"); or a percent sign there, which could encode one.
    names = b"(?i)(?:%|" + b"|".join(_spaced(stem.encode(), _NAME_SEP) for stem in stems) + b")"
    return patterns + [
        (names + rb'[^"&=]*=', _WALK),
        (names + _HEADER_NAME_CHAR + rb"*'? *:", _WALK),
        *((_key_rule_in_json(rule), _SECRET_KEY) for rule in DEFAULT_KEY_PATTERNS),
    ]


def _keys_of(value: dict | list) -> set:
    """Every object key inside `value`, visiting containers only."""
    keys: set = set()
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if type(node) is dict:
            keys.update(node)
            children = node.values()
        else:
            children = node
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                push(child)
    return keys


def may_hold_token(data: bytes) -> bool:
    """Whether a secret known by its shape could be in `data` (False: none can)."""
    return any(word in data for word in _SCHEME_WORDS_B) or _LONG_RUN in data.translate(_TOKEN_CLASSES)


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


def _nothing_secret_in_container(found: int) -> bool:
    """Whether the triage's `found` shows an object or array holds nothing a secret can
    be: no text to walk, no secret key, no name/value pairs (when Redactor._scan says
    None of a container, without the container at hand)."""
    return not found & (_WALK | _SECRET_KEY) and not (found & _PAIR_VALUE and found & _PAIR_NAME)


class Redactor:
    """Replaces secret values in JSON values, summary rows and URLs."""

    def __init__(self, extra_patterns: Iterable[str] = (), masked: Iterable[str] = ()) -> None:
        """`extra_patterns`: regular expressions of more secret key names; `masked`:
        values hidden wherever they occur (as CI systems mask their secrets)."""
        patterns = list(DEFAULT_KEY_PATTERNS) + [p for p in extra_patterns if p]
        # Longest first, so a value holding another is hidden whole.
        self._masked = tuple(sorted({m for m in masked if len(m) >= MIN_MASKED_LENGTH},
                                    key=lambda m: (-len(m), m)))
        self._masked_b = tuple(orjson.dumps(m)[1:-1] for m in self._masked)
        if any(b"\\" in m for m in self._masked_b):
            # A value that JSON escapes looks different in each encoding of JSON text
            # inside a string: no byte search finds it, so every value is walked.
            self._masked_b = (b"",)
        self._key_re = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        # Extra patterns are regular expressions: no stem is known for them.
        self._stems = None if len(patterns) > len(DEFAULT_KEY_PATTERNS) else _DEFAULT_STEMS
        self._secret: dict[str, bool] = {}  # key -> is it secret (a log has few distinct keys)
        self._clear_keys: set[str] = set()  # keys known not to be secret (set operations in C)
        self._stems_b = tuple(s.encode() for s in self._stems or ())
        self._patterns: dict[tuple[bytes, ...], tuple[re.Pattern, re.Pattern]] = {}
        self._triage = bytepattern.PatternSet(_triage_patterns(self._stems, self._masked_b))

    def json(self, value: Any) -> tuple[bytes, Any, bool | None]:
        """The compact JSON of `value` with every secret replaced, the value it holds, and
        whether a string of it may be Markdown (None: not known, ask markdown).

        One serialization, judged in one pass where secrets can be named
        (see the module docstring); only a hit costs more. The value
        returned is `value` itself when nothing was replaced, and None when
        the text was patched in place (parse the bytes if it is needed).
        """
        if type(value) is RawJSON:
            # A value kept as its text: judged on it when orjson would write the same bytes.
            data = value.data
            found = self._triage.groups(data)
            if not found & _NOT_AS_WRITTEN:
                markdown_hint = None if found & _NOT_ASCII else bool(found & _MARKDOWN)
                if _nothing_secret_in_container(found):  # (returned unparsed)
                    return data, None, markdown_hint
                return self._judged(data, value.value, found, markdown_hint)
            value = value.value
        try:
            data = orjson.dumps(value)
        except TypeError:  # beyond what orjson encodes (huge integers): the exact walk
            out = self.value(value)
            return _compact_json(out).encode("utf-8", "surrogatepass"), out, None
        found = self._triage.groups(data)
        markdown_hint = None if found & _NOT_ASCII else bool(found & _MARKDOWN)
        return self._judged(data, value, found, markdown_hint)

    def _judged(self, data: bytes, value: Any, found: int,
                markdown_hint: bool | None) -> tuple[bytes, Any, bool | None]:
        """Redaction of a value from its compact JSON `data` and the triage's `found` (see json)."""
        if not isinstance(value, (dict, list, str)):
            return data, value, markdown_hint
        secret_keys = self._scan(data, value, found)
        if secret_keys is None:
            return data, value, markdown_hint
        if secret_keys:
            patched = self._patch(data, secret_keys)
            if patched is not None:
                return (data, value, markdown_hint) if patched == data else (patched, None, None)
        out = self.text(value) if isinstance(value, str) else self._walk_guarded(value)
        if out is value:
            return data, value, markdown_hint
        return _compact_json(out).encode("utf-8", "surrogatepass"), out, None

    def _scan(self, data: bytes, value: Any, found: int | None = None) -> tuple[bytes, ...] | None:
        """Judge a value by its compact JSON `data`: None when nothing in it can be secret,
        () when it must be walked, else the secret keys (as written) that alone need redacting.

        One pass of an automaton over the bytes (`found`, when the caller made
        it) looks for everything at once: JSON text inside a string, a URL
        password, letters that fold onto ASCII, the shapes of tokens, masked
        values, a stem of a secret name where a string can name something
        (a query, form or assignment before "=", a header line before ":"),
        and keys the rules call secret, as they read in the text. Only a
        secret key costs a walk of the containers, to name the keys to patch.
        """
        if found is None:
            found = self._triage.groups(data)
        if found & _WALK:
            return ()
        if not isinstance(value, (dict, list)):
            return None
        if found & _PAIR_VALUE and found & _PAIR_NAME:
            return ()  # name/value pairs: the walk reads each pair's name (_named_value)
        if not found & _SECRET_KEY:
            return None
        keys = _keys_of(value) - self._clear_keys
        secret = []
        for key in keys:
            if not isinstance(key, str):
                return ()
            if self.is_secret_key(key):
                secret.append(key)
            elif len(self._clear_keys) < _KEY_CACHE_LIMIT:
                self._clear_keys.add(key)
        if not secret:
            return None
        written = [orjson.dumps(k)[1:-1] for k in secret]
        if not all(_PLAIN_KEY.fullmatch(k) for k in written):
            return ()
        return tuple(sorted(written))

    def _patch(self, data: bytes, keys: tuple[bytes, ...]) -> bytes | None:
        """`data` with the scalar values of `keys` replaced, or None when one holds an object
        or array (then the walk decides). Only called on text without escaped quotes, so
        every quote is a string's own and `"key":` is a key."""
        pattern = self._patterns.get(keys)
        if pattern is None:
            names = b"|".join(re.escape(k) for k in keys)
            pattern = self._patterns[keys] = (
                re.compile(rb'"(?:' + names + rb')":[\[{]'),
                re.compile(rb'("(?:' + names + rb')":)(?!null[,}\]])(?:"[^"]*"|[^,}\]]+)'),
            )
        nested, scalar = pattern
        if nested.search(data) is not None:
            return None
        return scalar.sub(rb'\1"' + REDACTED.encode() + rb'"', data)

    def _has_stem_bytes(self, data: bytes) -> bool:
        """Whether a secret name could occur in `data` (False: none can).

        Names are judged lower-cased with separators removed, so the same is
        done to the whole text, in one pass: a secret key or parameter name
        anywhere in it leaves its stem in the result. A text that could hide
        a name from that is never cleared: a percent-encoded one ("%74oken"),
        a `\\u` escape in JSON text, or a letter that matches i, s or k
        case-insensitively without lower-casing to it ("ı", "İ", "ſ", the
        Kelvin sign).
        """
        if b"%" in data or b"\\u" in data:
            return True
        if not data.isascii() and any(c in data for c in _ASCII_FOLDING_B):
            return True
        low = data.translate(_LOWER, _STEM_SEPARATORS)
        assert self._stems is not None
        return any(stem in low for stem in self._stems_b)

    def _walk_guarded(self, value: Any) -> Any:
        try:
            return self._walk(value)
        except RecursionError:  # nested too deep to walk (~1,000 levels): publish none of it
            return REDACTED

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
        """`value` with secrets replaced: inside JSON text, URLs, form-encoded strings and
        `NAME=value` assignments in free text.

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
        for masked in self._masked:
            if masked in out:
                out = out.replace(masked, REDACTED)
        if "@" in out and "://" in out:
            out = _URL_PASSWORD.sub(self._hide_password, out)
        if "://" in out[:16]:
            head, hash_sign, fragment = out.partition("#")
            path, question_mark, query = head.partition("?")
            out = path + question_mark + self._form(query) + hash_sign + self._form(fragment)
        elif "=" in out and _FORM.fullmatch(out):
            out = self._form(out)
        if "=" in out:
            # NAME=value anywhere in free text: environment dumps (DB_PASSWORD=…), command
            # lines (--token=…), a URL inside a sentence (…?sig=…).
            out = _ASSIGNMENT.sub(self._hide_assignment, out)
        if ":" in out:
            # Header lines in text: `curl -H 'X-Api-Key: …'`, a logged request's
            # "Authorization: Bearer …".
            out = _HEADER_LINE.sub(self._hide_header, out)
        if ("'" in out or '"' in out) and (":" in out or "=" in out):
            out = _QUOTED_PAIR.sub(self._hide_quoted, out)
        if len(out) >= len(_LONG_RUN) and may_hold_token(out.encode("utf-8", "surrogatepass")):
            out = _TOKEN_SHAPES.sub(self._hide_token, out)
        return value if out == value else out

    def _hide_quoted(self, match: re.Match[str]) -> str:
        if match[5] == REDACTED or not self.is_secret_key(match[2]):
            return match[0]
        return f"{match[1]}{match[2]}{match[1]}{match[3]}{match[4]}{REDACTED}{match[4]}"

    @staticmethod
    def _hide_token(match: re.Match[str]) -> str:
        if match["scheme"] is None:
            return REDACTED
        if _CREDENTIAL.search(match["cred"]) is None or match["cred"] == REDACTED:
            return match[0]  # a word after "Basic" or "Bearer", not a credential
        return match["scheme"] + REDACTED

    def _hide_header(self, match: re.Match[str]) -> str:
        return f"{match[1]}{REDACTED}" if match[3] != REDACTED and self.is_secret_key(match[2]) \
            else match[0]

    def _hide_assignment(self, match: re.Match[str]) -> str:
        return f"{match[1]}={REDACTED}" if match[2] != REDACTED and self.is_secret_key(match[1]) \
            else match[0]

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

    def _may_hold_secret(self, text: str) -> bool:
        """Whether the walk could change a value whose JSON text, or a string, is `text` (False: it cannot)."""
        if self._has_stem(text) or may_hold_url_password(text):
            return True
        data = text.encode("utf-8", "surrogatepass")
        return may_hold_token(data) or any(m in data for m in self._masked_b)

    def _has_stem(self, text: str) -> bool:
        """`_has_stem_bytes` of a string (or of JSON text)."""
        return self._has_stem_bytes(text.encode("utf-8", "surrogatepass"))

    def value(self, value: Any) -> Any:
        """`value` with secrets replaced: a copy when something was, else the value itself."""
        if isinstance(value, (dict, list)):
            try:
                data = orjson.dumps(value)
            except TypeError:  # beyond what orjson encodes (huge integers): walk it
                data = None
            if data is not None and self._scan(data, value) is None:
                return value
            return self._walk_guarded(value)
        if isinstance(value, str):
            return self.text(value)
        return value

    def _named_value(self, pair: dict) -> str | None:
        """"value" when `pair` is a name/value pair naming a secret, as header lists are
        logged by HAR files, n8n and many HTTP clients: `{"name": "Authorization",
        "value": "Bearer …"}` (or `"key"` for the name); else None."""
        if "value" not in pair:
            return None
        name = pair.get("name", pair.get("key"))
        return "value" if isinstance(name, str) and self.is_secret_key(name) else None

    def _walk(self, value: Any) -> Any:
        """A JSON value with secrets replaced: a copy when something was, else the value itself."""
        if isinstance(value, dict):
            hidden = self._named_value(value)
            out = {k: (REDACTED if v is not None and (k == hidden or self.is_secret_key(str(k)))
                       else self._walk(v))
                   for k, v in value.items()}
            # (Kept when unchanged: a string holding JSON text is rewritten only when this is a copy.)
            return value if all(out[k] is v for k, v in value.items()) else out
        if isinstance(value, list):
            out = [self._walk(v) for v in value]
            return value if all(new is old for new, old in zip(out, value)) else out
        if isinstance(value, str):
            return self.text(value)
        return value
