"""The markup of a run's log: automation groups and their entries, written by plain functions.

A run page holds thousands of entries, and a template macro call per entry
cost more than everything else about the page. These functions write the
same markup by string joins, escaping as `markupsafe.escape` does (what
jinja's autoescape uses, so the bytes are the same). They only display: every
decision (status, badges, divider, which sections) is made in
:mod:`runreport.site.pagedata`. `templates/macros.html` (`run_log`) wraps the
result, and docs/site-internals.md names its hooks.

Class names are short (CSS names them); the stable hooks are the `data-*`
attributes. Without JavaScript the summary line and summary rows are all
there, and `<details>` opens natively; `vdir` is the values folder as the
run page reaches it, for a no-JavaScript link to the data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from runreport.site.gantt import LABEL_WIDTH, Chart
from runreport.site.names import error_anchor
from runreport.site.pagedata import EntryView, GroupView

_SPECIAL = re.compile(r"[&<>\"']")
# markupsafe.escape's replacements (what jinja's autoescape writes), character by character.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def _x(value: object) -> str:
    """`value` as HTML text, as markupsafe.escape writes it (most texts need no change)."""
    text = value if type(value) is str else str(value)
    return text.translate(_ESCAPES) if _SPECIAL.search(text) else text


def entry_html(e: EntryView, vdir: str) -> str:
    """One `<li class="entry">` and its trailing newline."""
    out = [f'<li class="entry d{e.depth_class}" id="{_x(e.anchor)}" data-entry-id="{_x(e.entry_id)}" '
           f'data-status="{_x(e.status)}" data-own-status="{_x(e.own_status)}"']
    if e.parent:
        out.append(f' data-parent="{e.parent}"')
    if e.values_file is not None:
        out.append(f' data-v="{e.values_file}"')
    if e.sections:
        out.append(f' data-sec="{_x(e.section_keys)}"')
    if e.iteration is not None:
        it = e.iteration
        out.append(f' data-iter="{_x(it.path)}" data-iter-of="{it.of}" data-iter-status="{_x(it.status)}"')
    out.append(">\n")
    if e.divider:
        out.append(f'<div class="divider" role="separator">{_x(e.divider)}</div>')
    wait = " wait" if e.waiting else ""
    out.append(f'<details><summary><i class="ic-{_x(e.status)}{wait}">{_x(e.status_label)}</i> <b>{_x(e.name)}</b>')
    if e.kind:
        out.append(f' <span class="k">{_x(e.kind)}</span>')
    for b in e.badges:
        out.append(f' <span class="b" data-badge="{_x(b.kind)}">{_x(b.text)}</span>')
    if e.duration:
        out.append(f' <span class="t">{_x(e.duration)}</span>')
    if e.flagged:
        out.append(' <span class="flag">still running after the run ended</span>')
    lineage = e.lineage_text if e.lineage else ""
    if lineage:
        out.append(f'<span class="l">{_x(lineage)}</span>')
    if e.review_line:
        out.append(f'<span class="rv rv-{"wait" if e.waiting else _x(e.own_status)}">{_x(e.review_line)}</span>')
    if e.error_line:
        out.append(f'<span class="em" id="{_x(error_anchor(e.entry_id))}">{_x(e.error_line)}</span>')
    out.append("</summary>\n")
    if e.summary:
        out.append("<dl>")
        out.extend(f"<dt>{_x(r.label)}</dt><dd><code>{_x(r.text)}</code></dd>" for r in e.summary)
        out.append("</dl>")
    if e.edit_href:
        out.append(f'<a class="edit" href="{_x(e.edit_href)}" rel="noopener noreferrer">Edit'
                   f'<span class="sr"> {_x(e.name)}</span> on the canvas</a>')
    if not e.summary and not e.sections:
        out.append('<p class="none">No data logged for this entry.</p>')
    if e.values_file is not None:
        out.append(f'<noscript><a href="{_x(vdir)}v-{e.values_file}.js">Open this step\'s data (raw JSON)'
                   "</a></noscript>")
    out.append("</details></li>\n")
    return "".join(out)


def groups_html(groups: Sequence[GroupView], vdir: str) -> str:
    """The `<li class="group">` items of one part of a run's log."""
    out = []
    for g in groups:
        out.append(f'<li class="group" data-automation="{_x(g.automation)}" data-status="{_x(g.status)}">\n'
                   f'<div class="group-head"><span class="ic ic-{_x(g.status)}" aria-hidden="true"></span>'
                   f'<span class="group-name">{_x(g.automation)}</span> <span class="st">'
                   f'{_x(g.status_label)}</span></div>\n<ul class="entries">\n')
        out.extend(entry_html(e, vdir) for e in g.entries)
        out.append("</ul>\n</li>\n")
    return "".join(out)


#: A row label's length at most, as jinja's `truncate(34, true, "…")` cuts it (its
#: default leeway of 5 keeps a label of up to 39 characters whole).
_LABEL_LENGTH, _LABEL_LEEWAY = 34, 5


def _label(text: str) -> str:
    return text if len(text) <= _LABEL_LENGTH + _LABEL_LEEWAY else text[:_LABEL_LENGTH - 1] + "…"


def gantt_svg(chart: Chart) -> str:
    """The time chart's `<svg>`: its axis, then a `<g class="row">` per row with a linked
    `<rect>` per bar. A run page's chart holds up to gantt.MAX_BARS bars, which a
    template loop cost more to write than the rest of the page's head."""
    height = chart.height
    out = [f'<svg viewBox="0 0 {chart.width} {height}" role="group" aria-labelledby="gantt-title" '
           'class="gantt-svg">\n<g class="axis">']
    last = len(chart.ticks) - 1
    for n, t in enumerate(chart.ticks):
        x = LABEL_WIDTH + t.x
        anchor = ' text-anchor="end"' if n == last else (' text-anchor="middle"' if n else "")
        out.append(f'<line x1="{x}" y1="14" x2="{x}" y2="{height}"/><text x="{x}" y="11"{anchor}>'
                   f"{_x(t.label)}</text>")
    out.append("</g>\n")
    for r in chart.rows:
        out.append(f'<g class="row"><text class="label" x="{4 + r.indent}" y="{r.y + 12}">'
                   f"{_x(_label(r.label))}<title>{_x(r.automation)} › {_x(r.label)}</title></text>")
        y = r.y + 3
        out.extend(f'<a href="{_x(b.href)}"><rect class="bar st-{_x(b.status)}" x="{LABEL_WIDTH + b.x}" '
                   f'y="{y}" width="{b.width}" height="12"><title>{_x(b.title)}</title></rect></a>'
                   for b in r.bars)
        out.append("</g>\n")
    out.append("</svg>")
    return "".join(out)
