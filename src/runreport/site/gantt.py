"""Where the time went in a run: its entries as bars on one time axis (pure, no I/O).

One row per step as it sits in the run (its automation, then the row of its
parent, then its name), so the iterations of a loop and the pages of a
request are repeated bars on the rows of their steps. Rows keep the run's
display order. The chart is drawn at build time as SVG (run.html) and needs
no script: each bar is a link to its entry, titled with its name, duration
and status. A large run stays a small chart: a row with many bars draws them
in slots (a slot's bar says how many entries it holds) so the chart holds
at most `MAX_BARS` bars, and rows past `MAX_ROWS` are summed up in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from runreport.model import Run
from runreport.site.names import entry_anchor
from runreport.timefmt import parse_instant, seconds_text

#: Drawing units: the label column, the bar area, a row's height.
LABEL_WIDTH = 240
PLOT_WIDTH = 720
ROW_HEIGHT = 18
AXIS_HEIGHT = 22
#: Rows drawn at most (the rest are summed up in one last row).
MAX_ROWS = 40
#: Bars drawn in all at most (a page budget): a row with more than its share draws its
#: entries in that many equal slots of the axis, each slot's bar saying how many it holds.
MAX_BARS = 400
#: Indentation per level of nesting in the label column, and the deepest shown.
INDENT = 12
MAX_INDENT_LEVELS = 6
#: Worst first: what a slot holding several entries shows.
_WORST = ("error", "running", "rejected", "unknown", "success", "skipped")


class Bar(NamedTuple):
    """One bar (a tuple: a chart of a large run holds hundreds, made for every run page)."""

    x: float
    width: float
    status: str
    href: str  # "#entry-…" of its (first) entry
    title: str  # name, duration and status: the tooltip and the link's name


class Row(NamedTuple):
    label: str
    indent: int
    automation: str
    y: float
    bars: tuple[Bar, ...]


class Tick(NamedTuple):
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]
    width: int
    height: int
    span_text: str  # how long the axis is
    hidden_rows: int  # steps summed up in the last row


def chart(run: Run, now: datetime | None = None) -> Chart | None:
    """The run's time chart, or None when its entries logged no times to place.

    `now`: where a running entry's bar ends (the input's newest time, so the
    same input draws the same chart); without it, at the end of the axis.
    """
    timed = []
    for e in run.entries:
        start = parse_instant(e.started_at)
        if start is not None:
            timed.append((e, start, parse_instant(e.ended_at)))
    if not timed:
        return None
    starts = [s for _, s, _ in timed]
    ends = [t for _, _, t in timed if t is not None]
    run_start, run_end = parse_instant(run.started_at), parse_instant(run.ended_at)
    t0 = min(starts + ([run_start] if run_start else []))
    t1 = max(starts + ends + [x for x in (run_end, now) if x is not None])
    span = (t1 - t0).total_seconds()
    if span <= 0:
        span = 1.0
    scale = PLOT_WIDTH / span

    # Rows: (automation, parent row, name), in display order; groups in the run's order.
    row_of_entry: dict[str, int] = {}
    keys: dict[tuple, int] = {}
    rows: list[dict] = []
    order = {g.automation: k for k, g in enumerate(run.groups)}
    for e in run.entries:
        parent_row = row_of_entry.get(e.parent_id) if e.parent_id else None
        key = (e.automation, parent_row, e.name)
        k = keys.get(key)
        if k is None:
            k = keys[key] = len(rows)
            rows.append({"label": e.name, "automation": e.automation, "depth": e.depth, "items": []})
        row_of_entry[e.entry_id] = k
    for e, start, end in timed:
        x0 = (start - t0).total_seconds() * scale
        if end is None:
            end_x = PLOT_WIDTH if e.status == "running" and now is None else \
                ((now - t0).total_seconds() * scale if e.status == "running" and now else x0)
        else:
            end_x = (end - t0).total_seconds() * scale
        seconds = (end - start).total_seconds() if end is not None else None
        rows[row_of_entry[e.entry_id]]["items"].append((x0, max(end_x, x0), e, seconds))
    ranked = sorted(range(len(rows)), key=lambda k: (order.get(rows[k]["automation"], len(order)), k))
    kept = [k for k in ranked if rows[k]["items"]]
    hidden = kept[MAX_ROWS:]
    kept = kept[:MAX_ROWS]

    share = max(4, MAX_BARS // (len(kept) + bool(hidden)))
    out_rows = []
    for n, k in enumerate(kept):
        row = rows[k]
        out_rows.append(Row(label=row["label"], indent=min(row["depth"], MAX_INDENT_LEVELS) * INDENT,
                            automation=row["automation"], y=AXIS_HEIGHT + n * ROW_HEIGHT,
                            bars=_bars(row["items"], share)))
    if hidden:
        items = [item for k in hidden for item in rows[k]["items"]]
        out_rows.append(Row(label=f"… {len(hidden):,} more steps", indent=0, automation="",
                            y=AXIS_HEIGHT + len(out_rows) * ROW_HEIGHT, bars=_bars(items, share)))
    ticks = tuple(Tick(x=PLOT_WIDTH * i / 4, label="0 s" if i == 0 else seconds_text(span * i / 4))
                  for i in range(5))
    return Chart(rows=tuple(out_rows), ticks=ticks, width=LABEL_WIDTH + PLOT_WIDTH + 8,
                 height=AXIS_HEIGHT + len(out_rows) * ROW_HEIGHT + 4, span_text=seconds_text(span),
                 hidden_rows=len(hidden))


def _bars(items: list, share: int) -> tuple[Bar, ...]:
    """A row's bars: one per entry, or, past `share`, one per equal slot of the axis."""
    items.sort(key=lambda item: item[0])
    if len(items) <= share:
        return tuple(Bar(x=round(x0, 2), width=round(max(x1 - x0, 1.0), 2), status=e.display_status,
                         href="#" + entry_anchor(e.entry_id), title=_title(e.name, seconds, e.display_status))
                     for x0, x1, e, seconds in items)
    slot_width = PLOT_WIDTH / share
    slots: dict[int, list] = {}
    for item in items:
        slots.setdefault(min(int(item[0] // slot_width), share - 1), []).append(item)
    bars = []
    for slot in sorted(slots):
        members = slots[slot]
        x0 = min(m[0] for m in members)
        x1 = max(m[1] for m in members)
        status = min((m[2].display_status for m in members),
                     key=lambda s: _WORST.index(s) if s in _WORST else len(_WORST))
        total = sum(m[3] or 0.0 for m in members)
        first = members[0][2]
        bars.append(Bar(x=round(x0, 2), width=round(max(x1 - x0, 1.0), 2), status=status,
                        href="#" + entry_anchor(first.entry_id),
                        title=f"{len(members):,} × {first.name}: {seconds_text(total)} in all, worst {status}"))
    return tuple(bars)


def _title(name: str, seconds: float | None, status: str) -> str:
    took = seconds_text(seconds) if seconds is not None else ("still running" if status == "running" else "no end")
    return f"{name}: {took}, {status}"
