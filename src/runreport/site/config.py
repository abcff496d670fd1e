"""Site options from `runreport.toml` and the command line."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import click

from runreport.site.chunks import DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE
from runreport.stale import DEFAULT_STALE_AFTER

CONFIG_NAME = "runreport.toml"
_KNOWN_KEYS = {"editor_url": str, "redact_keys": list, "redact": bool, "chunk_size": int,
               "mask_env": list, "stale_after": int, "between_steps": int}
#: Seconds a followed run stays Running between its steps (see runreport.live.watch).
DEFAULT_BETWEEN_STEPS = 5


@dataclass(frozen=True)
class SiteConfig:
    editor_url: str | None = None
    redact_keys: tuple[str, ...] = ()
    redact: bool = True
    chunk_size: int = DEFAULT_CHUNK_SIZE
    mask_env: tuple[str, ...] = ()  # environment variables whose values are masked everywhere
    stale_after: int = DEFAULT_STALE_AFTER  # seconds; see runreport.stale
    between_steps: int = DEFAULT_BETWEEN_STEPS  # seconds; see runreport.live.watch


def load_config(path: Path | None) -> SiteConfig:
    """Read `path`, or `./runreport.toml` when it exists; every bad key is reported at once."""
    if path is None:
        default = Path(CONFIG_NAME)
        if not default.is_file():
            return SiteConfig()
        path = default
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read config: {exc}") from exc
    errors = []
    for key, value in data.items():
        expected = _KNOWN_KEYS.get(key)
        if expected is None:
            errors.append(f"{path}: unknown key {key!r} (known: {', '.join(sorted(_KNOWN_KEYS))})")
        elif not isinstance(value, expected) or isinstance(value, bool) != (expected is bool) or (
            key in ("redact_keys", "mask_env") and not all(isinstance(v, str) for v in value)
        ):
            errors.append(f"{path}: {key!r} must be a {expected.__name__}")
        elif key in ("stale_after", "between_steps") and value < 0:
            errors.append(f"{path}: {key!r} must be 0 (never) or more seconds")
        elif key == "chunk_size" and value < MIN_CHUNK_SIZE:
            errors.append(f"{path}: 'chunk_size' must be at least {MIN_CHUNK_SIZE} bytes")
        elif key == "redact_keys":
            errors.extend(f"{path}: 'redact_keys'[{n}] is not a regular expression: {problem}"
                          for n, problem in _bad_patterns(value))
    if errors:
        raise click.ClickException("\n".join(errors))
    return SiteConfig(
        editor_url=data.get("editor_url"),
        redact_keys=tuple(data.get("redact_keys", ())),
        redact=data.get("redact", True),
        chunk_size=data.get("chunk_size", DEFAULT_CHUNK_SIZE),
        mask_env=tuple(data.get("mask_env", ())),
        stale_after=data.get("stale_after", DEFAULT_STALE_AFTER),
        between_steps=data.get("between_steps", DEFAULT_BETWEEN_STEPS),
    )


def _bad_patterns(patterns: list[str]) -> list[tuple[int, str]]:
    """(index, why) of each pattern that does not compile (redaction compiles them all)."""
    bad = []
    for n, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            bad.append((n, str(exc)))
    return bad
