"""Markup written by plain functions where a template call per item cost too much: a run's
log (automation groups and their entries), its time chart, and the Runs page's cards.

A run page holds thousands of entries, and a template macro call per entry
cost more than everything else about the page; a listing holds a card per
run. These functions write the same markup by string joins, escaping as
`markupsafe.escape` does (what jinja's autoescape uses, so the bytes are the
same). They only display: every decision (status, badges, divider, which
sections) is made in :mod:`runreport.site.pagedata`. `templates/macros.html`
(`run_log`) wraps the log, and docs/site-internals.md names its hooks.

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
from runreport.site.pagedata import Card, EntryView, GroupView, Said
from runreport.site.render import plural

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


def said_html(s: Said, root: str) -> str:
    """What went wrong, in one line: the failing (or rejected) step, its badges and message,
    linked to that entry (cards, and a composer's latest failures; cardFromRow in
    assets/js writes the same)."""
    badges = "".join(f' <span class="b">{_x(b)}</span>' for b in s.badges)
    return (f'<p class="said said-{_x(s.kind)}"><a href="{_x(root)}{_x(s.href)}"><span class="ic '
            f'ic-{_x(s.kind)}" aria-hidden="true"></span><b>{_x(s.step)}</b>{badges}: <span '
            f'class="said-msg">{_x(s.message)}</span></a></p>')


def card_html(c: Card, root: str, show_composer: bool) -> str:
    """One run's card on a listing page (and in its list file), with its trailing newline.

    `root`: the listing page's way back to the site's root; `show_composer`:
    a link to the composer's runs (the Runs page has it, a composer's page
    not). cardFromRow (assets/js) writes the same from a list file's row.
    """
    status, run_id, href = _x(c.status), _x(c.run_id), _x(root) + _x(c.href)
    out = [f'<article class="card{" quiet" if c.quiet_since else ""}" data-run-id="{run_id}" '
           f'data-status="{status}" data-mode="{_x(c.mode)}" data-errors="{int(c.has_error)}" '
           f'data-rejected="{int(c.has_rejected)}">\n<div class="card-head">\n<span class="status '
           f'st-{status}"><span class="ic ic-{status}" aria-hidden="true"></span>{_x(c.status_label)}</span>']
    if c.quiet_since:
        out.append(f' <span class="quiet-since">no activity since {_x(c.quiet_since)}</span>')
    out.append(f'<h2 class="card-title"><a href="{href}">{_x(c.composer)}<span class="sr"> run {run_id}'
               f'</span></a></h2>\n<span class="mode mode-{_x(c.mode)}">{_x(c.mode_label)}</span>\n</div>\n'
               f'<p class="card-meta"><time datetime="{_x(c.started_at or "")}">{_x(c.started_text)}</time>')
    if c.duration:
        out.append(f" · {_x(c.duration)}")
    out.append(f' · {_x(plural(c.entry_count, "entry", "entries"))} · <code class="run-id">{run_id}</code>')
    if show_composer:
        out.append(f' · <a href="{_x(root)}{_x(c.composer_href)}">all runs of this composer</a>')
    out.append("</p>\n")
    if c.said:
        out.append(said_html(c.said, root) + "\n")
    out.append(f'<button type="button" class="expand js-only" data-act="expand" data-log="{_x(c.log_src)}" '
               'aria-expanded="false"><span class="chev" aria-hidden="true"></span>Step log</button>\n'
               f'<a class="open-run no-js-only" href="{href}">Open run<span class="sr"> {run_id}</span></a>\n'
               '<div class="card-log" hidden></div>\n</article>\n')
    return "".join(out)
