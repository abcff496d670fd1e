"""Rendering: one jinja2 environment (autoescape on, StrictUndefined) and the JS payload encoder."""

from __future__ import annotations

import base64
import json
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import orjson
from markupsafe import Markup

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


def plural(n: int, word: str, plural: str | None = None) -> str:
    """`n` and the word, in the plural unless `n` is 1: "1 entry", "2,048 entries"."""
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
        # The templates ship with the package: no stat of the file at every get_template.
        auto_reload=False,
    )
    env.filters["plural"] = plural
    env.filters["thousands"] = lambda n: f"{n:,}"
    from runreport.site.logmarkup import said_html  # (here: logmarkup imports this module)

    env.globals["said"] = lambda s, root: Markup(said_html(s, root))
    return env


class _StoreBytecodeCache(jinja2.FileSystemBytecodeCache):
    """The templates' compiled code in a store's folder, as a cache only: a folder that
    is gone (a temporary store, removed while the process lives on) or cannot be written
    costs a compile, never the build."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def cache_templates(folder: Path) -> None:
    """Keep the templates' compiled code in `folder` (the store's), so a rebuild in a new
    process loads it instead of compiling every template again (~0.07 s, a fifth of a
    rebuild after one appended run). Keyed by each template's source: never stale."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # (a store that cannot hold it: templates are compiled as before)
        return
    environment().bytecode_cache = _StoreBytecodeCache(str(folder))


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_macro(template: str, macro: str, *args: Any) -> Markup:
    """Call one macro of a template; the result is markup (safe to pass to another template)."""
    module = environment().get_template(template).make_module({})
    return Markup(getattr(module, macro)(*args))


#: zlib level of packed markup: 1 packs run-log HTML to ~12.5 % (before base64) in half the time of 6
#: (~10.5 %); the packed copy is a few per cent of a site, read only by the script.
PACK_LEVEL = 1


def packed_markup(html: str) -> str:
    """`html` as a data file carries it for the script: base64 of its raw DEFLATE.

    Run-log markup is in the site twice: as HTML in the run page (readers
    without JavaScript) and in the data files that cards and live updates
    load. The second copy is read only by the script, which unpacks it with
    the browser's `DecompressionStream("deflate-raw")`: at ~17 % of the HTML
    (base64 included) it stops weighing on the site's size.
    """
    packer = zlib.compressobj(PACK_LEVEL, zlib.DEFLATED, -15)
    data = packer.compress(html.encode("utf-8", "surrogatepass")) + packer.flush()
    return base64.b64encode(data).decode("ascii")


# JSON inside a <script>-loaded file: `</` and `<!--` escaped (as `<\/` and
# `<\u0021--`, still JSON) so no `</script>` or `<!--` can appear even if the
# text were ever inlined in a page, and U+2028/2029 for old JavaScript parsers.
# Other `<`, `>` and `&` stay as they are: escaping each as \u003c made the
# log fragments a third larger.
_JS_ESCAPES = (  # (those holding "<" first, then the two non-ASCII ones: js_json_bytes relies on it)
    ("</", "<\\/"),
    ("<!--", "<\\u0021--"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def js_json(value: Any) -> str:
    """JSON text safe to embed in JavaScript source."""
    try:
        text = orjson.dumps(value).decode("utf-8")
    except TypeError:  # integers beyond 64 bits, lone surrogates: the slow, lenient path
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for unsafe, escape in _JS_ESCAPES:  # (str.replace runs at memory speed)
        if unsafe in text:
            text = text.replace(unsafe, escape)
    return text


_JS_ESCAPES_UTF8 = tuple((unsafe.encode(), escape.encode()) for unsafe, escape in _JS_ESCAPES)


def js_json_bytes(value: Any) -> bytes:
    """`js_json` as UTF-8 bytes, without a round trip through text (data files are large)."""
    try:
        data = orjson.dumps(value)
    except TypeError:
        return js_json(value).encode("utf-8")
    # (One byte search or an ASCII test rules out each pair of escapes first: data files are large.)
    if b"<" in data:
        for unsafe, escape in _JS_ESCAPES_UTF8[:2]:
            if unsafe in data:
                data = data.replace(unsafe, escape)
    if not data.isascii():
        for unsafe, escape in _JS_ESCAPES_UTF8[2:]:
            if unsafe in data:
                data = data.replace(unsafe, escape)
    return data


def data_file_bytes(key: str, payload: Any) -> bytes:
    """The bytes of one data file: a single `RunReport.receive(key, payload)` call."""
    return b"RunReport.receive(" + js_json_bytes(key) + b"," + js_json_bytes(payload) + b");\n"


def data_file(key: str, payload: Any) -> str:
    """`data_file_bytes` as text."""
    return data_file_bytes(key, payload).decode("utf-8")
