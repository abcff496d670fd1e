"""The Library pages and the Save dialog's data: page data from the library store.

Files (all relative to the site root, see docs/site-internals.md):

    library.html                        every prompt with its description and test cases
    prompts/<prompt>.html               one prompt: its text (Markdown) and its test cases
    data/library/<prompt>/v-<n>.js      the variables' values (large ones chunked like outputs)
    data/library/<prompt>/case-<case>.js  a case file's document, for the Save dialog's download
    data/save.js                        what the Save dialog offers (always written)

Page data is built without I/O beyond reading the library; `write_library`
hands every file to the build's writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from runreport import library as lib
from runreport.site import markdown
from runreport.site.chunks import DEFAULT_CHUNK_SIZE, Packer
from runreport.site.names import entry_anchor, safe_name
from runreport.site.pagedata import run_href
from runreport.site.render import data_file, render

INDEX_PATH = "library.html"
SAVE_DATA = "data/save.js"
#: A values file of the Library is closed once it passes this many bytes.
VALUES_FILE_BUDGET = DEFAULT_CHUNK_SIZE


class WriterLike(Protocol):
    def text(self, rel: str, text: str) -> None: ...


def prompt_href(name: str) -> str:
    return f"prompts/{safe_name(name)}.html"


def prompt_data_dir(name: str) -> str:
    return f"data/library/{safe_name(name)}/"


def case_src(prompt: str, case: str) -> str:
    return f"{prompt_data_dir(prompt)}case-{safe_name(case)}.js"


def case_anchor(case: str) -> str:
    return "case-" + safe_name(case)


def exists(folder: Path | str | None) -> bool:
    """Whether there is a library at `folder` (pages then link to the Library page)."""
    return folder is not None and Path(folder).is_dir()


def load(folder: Path | str | None) -> lib.Library | None:
    """The library at `folder`, or None when there is none (no Library pages then)."""
    if not exists(folder):
        return None
    return lib.load_library(Path(folder))


# --- page data ----------------------------------------------------------------


@dataclass(frozen=True)
class PromptCard:
    name: str
    description: str
    href: str
    cases: tuple[str, ...]


@dataclass(frozen=True)
class LibraryIndex:
    path: str
    prompts: tuple[PromptCard, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ValueSection:
    """What the `section` macro of macros.html reads."""

    key: str
    label: str
    expanded: bool


@dataclass(frozen=True)
class VariableView:
    path: str
    key: str  # "<case>/<variable path>": the key of its value in the values file
    values_file: int
    section: ValueSection
    run_id: str | None
    entry_id: str | None
    step_name: str | None
    saved_at: str | None
    entry_href: str | None  # the run entry it was saved from, when that run is in the site


@dataclass(frozen=True)
class CaseView:
    name: str
    anchor: str
    variables: tuple[VariableView, ...]


@dataclass(frozen=True)
class PromptPage:
    path: str
    name: str
    description: str
    html: str  # the prompt text rendered from Markdown (raw HTML off)
    data_dir: str
    cases: tuple[CaseView, ...]


@dataclass(frozen=True)
class LibraryFiles:
    index: LibraryIndex
    prompts: tuple[PromptPage, ...]
    data: tuple[tuple[str, dict], ...]  # (src, payload) of every data file


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def library_files(library: lib.Library, known_runs: set[str], *,
                  redact: Callable[[Any], Any] = lambda v: v,
                  chunk_size: int = DEFAULT_CHUNK_SIZE) -> LibraryFiles:
    """Pages and data files of the Library (values already passed through `redact`)."""
    pages = []
    data: list[tuple[str, dict]] = []
    for prompt in library.prompts:
        data_dir = prompt_data_dir(prompt.name)
        packer = Packer(data_dir, {"kind": "values", "prompt": prompt.name},
                        chunk_size=chunk_size, budget=VALUES_FILE_BUDGET)
        cases = []
        for case in prompt.cases:
            variables = []
            for var in case.variables:
                key = f"{case.name}/{var.path}"
                packer.add(key, [("value", redact(var.value))])
                src = var.source
                run_id, entry_id = _text(src.get("run_id")), _text(src.get("entry_id"))
                href = None
                if run_id in known_runs and entry_id:
                    href = f"{run_href(run_id)}#{entry_anchor(entry_id)}"
                variables.append(VariableView(
                    path=var.path, key=key, values_file=packer.packed.values_file[key],
                    section=ValueSection("value", "Value", False),
                    run_id=run_id, entry_id=entry_id, step_name=_text(src.get("step_name")),
                    saved_at=_text(src.get("saved_at")), entry_href=href,
                ))
            cases.append(CaseView(case.name, case_anchor(case.name), tuple(variables)))
            doc = case.document
            if doc is not None:
                data.append((case_src(prompt.name, case.name),
                             {"kind": "library-case", "prompt": prompt.name, "case": case.name,
                              "doc": redact(doc)}))
        for n, payload in enumerate(packer.packed.values):
            data.append((f"{data_dir}v-{n}.js", payload))
        data.extend(packer.packed.chunks)
        pages.append(PromptPage(
            path=prompt_href(prompt.name), name=prompt.name, description=prompt.description,
            html=markdown.render(prompt.text), data_dir=data_dir, cases=tuple(cases),
        ))
    index = LibraryIndex(
        path=INDEX_PATH,
        prompts=tuple(PromptCard(p.name, p.description, prompt_href(p.name),
                                 tuple(c.name for c in p.cases)) for p in library.prompts),
        problems=tuple(library.problems),
    )
    return LibraryFiles(index=index, prompts=tuple(pages), data=tuple(data))


def save_data(library: lib.Library | None, *, inputs: tuple[str, ...],
              library_arg: str | None) -> dict:
    """Payload of data/save.js: the choices and command parts of the Save dialog."""
    prompts = []
    for p in (library.prompts if library is not None else ()):
        prompts.append({"name": p.name, "cases": [
            {"name": c.name, "src": case_src(p.name, c.name) if c.document is not None else None}
            for c in p.cases
        ]})
    return {"kind": "save", "inputs": list(inputs), "library": library_arg, "prompts": prompts}


def library_arg(folder: Path | str | None) -> str | None:
    """The `--library` argument the save command needs (None for the default folder)."""
    if folder is None or Path(folder) == lib.DEFAULT_FOLDER:
        return None
    return str(folder)


def write_library(w: WriterLike, library: lib.Library | None, options: Any, redactor: Any,
                  known_runs: set[str], base: Callable[[str, str, str], dict]) -> None:
    """Write data/save.js, and the Library pages and their data when there is a library."""
    w.text(SAVE_DATA, data_file(SAVE_DATA, save_data(
        library, inputs=tuple(options.inputs), library_arg=library_arg(options.library))))
    if library is None:
        return
    files = library_files(library, known_runs,
                          redact=redactor.value if redactor is not None else (lambda v: v),
                          chunk_size=options.chunk_size)
    w.text(files.index.path, render("library.html", page=files.index,
                                    **base(files.index.path, "Library", "library")))
    for page in files.prompts:
        w.text(page.path, render("prompt.html", page=page,
                                 **base(page.path, f"{page.name} · Library", "prompt")))
    for src, payload in files.data:
        w.text(src, data_file(src, payload))


__all__ = ["library_files", "load", "save_data", "write_library", "prompt_href", "case_src"]
