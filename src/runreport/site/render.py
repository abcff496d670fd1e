"""Rendering: one jinja2 environment (autoescape on, StrictUndefined) and the JS payload encoder."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import orjson

import runreport


def _resource_dir(name: str) -> Path:
    """`templates/` or `assets/`: inside the installed package, else at the repository top."""
    packaged = Path(runreport.__file__).parent / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / name


def templates_dir() -> Path:
    return _resource_dir("templates")


def assets_dir() -> Path:
    return _resource_dir("assets")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {plural or word + 's'}"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["plural"] = _plural
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_macro(template: str, macro: str, *args: Any) -> str:
    """Call one macro of a template (the run log fragment shared by run page and cards)."""
    module = environment().get_template(template).make_module({})
    return str(getattr(module, macro)(*args))


# JSON inside a <script>-loaded file: `<` `>` `&` escaped so `</script>` and `<!--`
# cannot appear, and U+2028/2029 escaped for old JavaScript parsers.
_JS_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def js_json(value: Any) -> str:
    """JSON text safe to embed in JavaScript source."""
    try:
        text = orjson.dumps(value).decode("utf-8")
    except TypeError:  # integers beyond 64 bits, lone surrogates: the slow, lenient path
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # str.replace per character present runs at memory speed; str.translate
    # with multi-character replacements is a slow per-character loop.
    for code, escape in _JS_ESCAPES.items():
        char = chr(code)
        if char in text:
            text = text.replace(char, escape)
    return text


def data_file(key: str, payload: Any) -> str:
    """The text of one data file: a single `RunReport.receive(key, payload)` call."""
    return f"RunReport.receive({js_json(key)},{js_json(payload)});\n"
