"""The timeline drawn as stacked panels on one date axis: a self-contained, accessible SVG.

Panels, top to bottom: CLASI-A and CLASI-D, SLEDAI-2K, WBC with C3 and C4 (the laboratory's
lower limits dashed), the prednisone-equivalent daily dose as steps, and the therapy courses as
bars with the IVIG infusions as marks (filled: given; hollow: planned). Undated courses are
listed under the axis, never drawn. Nothing is computed here that the engine's `Timeline` does
not hold.

The drawing is first laid out as a list of plain shapes (`timeline_layout`), which this module
writes as SVG and `clepath.report.pdf` embeds in the PDFs, so the two never disagree. Output is
deterministic (fixed rounding, no clock, ids derived from the case id), carries a title, a
description, ARIA labels and a legend, and has no script, stylesheet or external font.

The module is over 500 lines because it holds the shape types, the layout and the SVG writer
together; the shape types and the layout could move to a private `_timeline_layout` module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from clepath.domain.display import fmt_number, fmt_plain, unit_label
from clepath.engine.timeline import Point, Series, TherapyBar, Timeline

__all__ = [
    "Box",
    "Dot",
    "Group",
    "Label",
    "Layout",
    "Line",
    "PANEL_TITLES",
    "PolyLine",
    "Polygon",
    "Shape",
    "UNIT_LABELS",
    "timeline_layout",
    "timeline_svg",
]

PANEL_TITLES = (
    "CLASI-A and CLASI-D",
    "SLEDAI-2K",
    "WBC and complement (C3, C4)",
    "Prednisone equivalent",
    "Therapies and IVIG infusions",
)
UNIT_LABELS = {"{score}": "points", "10*9/L": "×10⁹/L", "g/L": "g/L", "mg/d": "mg/day"}

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies; every series
# also has its own marker shape, so colour is never the only cue.
_INK, _GRID, _MUTED, _FUTURE = "#222222", "#dddddd", "#666666", "#f2f2f2"
_STYLE = {
    "clasi_activity": ("#D55E00", "circle"),
    "clasi_damage": ("#0072B2", "square"),
    "sledai_2k": ("#CC79A7", "circle"),
    "wbc": ("#009E73", "circle"),
    "c3": ("#0072B2", "square"),
    "c4": ("#56B4E9", "diamond"),
    "prednisone_equivalent": ("#444444", "none"),
}
_OUTCOME_COLOUR = {
    "ongoing": "#0072B2",
    "responded": "#009E73",
    "partial": "#56B4E9",
    "failed": "#D55E00",
    "intolerant": "#CC79A7",
}
_OTHER_OUTCOME = "#999999"
_IVIG = "#E69F00"
_BLOCKED = "#C00000"
_LEFT, _RIGHT, _TOP = 170.0, 64.0, 34.0
_CHAR = 6.0  # average width of an 11 px sans-serif character, for wrapping and legend flow


# --- shapes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A straight line."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = _INK
    width: float = 1.0
    dash: str | None = None


@dataclass(frozen=True)
class PolyLine:
    """An open line through points."""

    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1.5
    dash: str | None = None


@dataclass(frozen=True)
class Box:
    """A rectangle; `title` becomes its tooltip and accessible name."""

    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None
    title: str | None = None
    css: str | None = None
    dash: str | None = None


@dataclass(frozen=True)
class Dot:
    """A circle marker (`fill` "none": hollow)."""

    cx: float
    cy: float
    r: float
    fill: str
    stroke: str
    title: str | None = None
    css: str | None = None


@dataclass(frozen=True)
class Polygon:
    """A closed marker (square, diamond, triangle)."""

    points: tuple[tuple[float, float], ...]
    fill: str
    stroke: str
    title: str | None = None
    css: str | None = None
    dash: str | None = None


@dataclass(frozen=True)
class Label:
    """Text on one line; `anchor` is start, middle or end."""

    x: float
    y: float
    text: str
    size: float = 11.0
    anchor: str = "start"
    bold: bool = False
    fill: str = _INK


@dataclass(frozen=True)
class Group:
    """Shapes that belong together, with an accessible name."""

    label: str
    children: tuple[Shape, ...]
    css: str | None = None


Shape = Line | PolyLine | Box | Dot | Polygon | Label | Group


@dataclass(frozen=True)
class Layout:
    """The whole drawing in SVG coordinates (y grows downwards)."""

    width: float
    height: float
    title: str
    desc: str
    key: str  # short id derived from the case id
    children: tuple[Shape, ...] = field(default_factory=tuple)


# --- scales -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _XAxis:
    start: dt.date
    end: dt.date
    x0: float
    x1: float

    def x(self, day: dt.date) -> float:
        span = (self.end - self.start).days or 1
        return self.x0 + (self.x1 - self.x0) * (day - self.start).days / span


@dataclass(frozen=True)
class _YScale:
    hi: float
    top: float
    bottom: float

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * min(value, self.hi) / self.hi

    def ticks(self) -> list[float]:
        step = _nice(self.hi / 4)
        return [round(i * step, 6) for i in range(int(round(self.hi / step)) + 1)]


def _nice(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at least `raw`."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw - 1e-12)


def _scale(values: Iterable[float], floor: float, top: float, bottom: float) -> _YScale:
    peak = max([floor, *(v * 1.15 for v in values)])
    step = _nice(peak / 4)
    return _YScale(round(step * math.ceil(round(peak / step, 9)), 6), top, bottom)


def _fmt(value: float) -> str:
    """An axis tick or limit: the exact value, never an exponent (clepath.domain.display)."""
    return fmt_plain(fmt_number(value, 4))


def _date_ticks(start: dt.date, end: dt.date, room: float) -> tuple[list[dt.date], str]:
    most = max(2, int(room // 80))
    span = (end - start).days
    for days in (1, 7):
        if span / days <= most:
            first = start + dt.timedelta(days=(-start.weekday()) % 7 if days == 7 else 0)
            count = span // days + 1
            ticks = [first + dt.timedelta(days=days * i) for i in range(count)]
            return [t for t in ticks if t <= end], "%Y-%m-%d"
    for months in (1, 3, 6, 12, 24, 60, 120):
        if span / (30.44 * months) <= most:
            return _month_ticks(start, end, months), "%Y" if months >= 12 else "%Y-%m"
    return [start, end], "%Y"


def _month_ticks(start: dt.date, end: dt.date, months: int) -> list[dt.date]:
    index = start.year * 12 + start.month - 1
    index += (-index) % months
    ticks: list[dt.date] = []
    while (day := dt.date(index // 12, index % 12 + 1, 1)) <= end:
        if day >= start:
            ticks.append(day)
        index += months
    return ticks


# --- markers and panels -------------------------------------------------------------------------


def _marker(kind: str, x: float, y: float, colour: str, title: str, hollow: bool) -> Shape:
    fill = "#ffffff" if hollow else colour
    if kind == "circle":
        return Dot(x, y, 3.5, fill, colour, title)
    size = 3.5 if kind == "square" else 4.5
    if kind == "square":
        pts = ((x - size, y - size), (x + size, y - size), (x + size, y + size),
               (x - size, y + size))
    else:
        pts = ((x, y - size), (x + size, y), (x, y + size), (x - size, y))
    return Polygon(tuple((round(a, 2), round(b, 2)) for a, b in pts), fill, colour, title)


def _point_title(series: Series, point: Point) -> str:
    parts = [f"{series.label} {point.date.isoformat()}: {point.shown}"]
    if point.flag and point.flag not in point.shown:
        parts.append(point.flag)
    if point.lower is not None:
        parts.append(f"lower limit {_fmt(point.lower)} "
                     f"{UNIT_LABELS.get(series.unit, unit_label(series.unit))}")
    if point.detail:
        parts.append(point.detail)
    return "; ".join(parts)


def _frame(
    title: str, top: float, height: float, axis: _XAxis, ticks: list[dt.date]
) -> list[Shape]:
    shapes: list[Shape] = [Label(axis.x0, top - 6, title, 12, bold=True)]
    shapes += [Line(axis.x(t), top, axis.x(t), top + height, _GRID) for t in ticks]
    shapes.append(Box(axis.x0, top, axis.x1 - axis.x0, height, "none", "#999999"))
    return shapes


def _y_axis(scale: _YScale, x: float, unit: str, right: bool, grid_to: float | None) -> list[Shape]:
    shapes: list[Shape] = []
    anchor, dx = ("start", 6.0) if right else ("end", -6.0)
    for tick in scale.ticks():
        y = round(scale.y(tick), 2)
        if grid_to is not None and tick > 0:
            shapes.append(Line(x, y, grid_to, y, _GRID))
        shapes.append(Label(x + dx, y + 3.5, _fmt(tick), 10, anchor, fill=_MUTED))
    shapes.append(Label(x + dx, scale.top - 6, UNIT_LABELS.get(unit, unit), 10, anchor,
                        fill=_MUTED))
    return shapes


def _series_shapes(series: Series, axis: _XAxis, scale: _YScale, end: dt.date) -> Group:
    colour, kind = _STYLE.get(series.id, (_INK, "circle"))
    numeric = [p for p in series.points if p.value is not None]
    shapes: list[Shape] = []
    coords = [(round(axis.x(p.date), 2), round(scale.y(p.value or 0.0), 2)) for p in numeric]
    if series.step and coords:
        path: list[tuple[float, float]] = []
        for i, (x, y) in enumerate(coords):
            nxt = coords[i + 1][0] if i + 1 < len(coords) else round(axis.x(end), 2)
            path += [(x, y), (nxt, y)] if not path else [(x, path[-1][1]), (x, y), (nxt, y)]
        shapes.append(PolyLine(tuple(path), colour, 2.0))
        shapes += [Dot(x, y, 2.5, colour, colour, _point_title(series, p))
                   for (x, y), p in zip(coords, numeric, strict=True)]
    else:
        if len(coords) > 1:
            shapes.append(PolyLine(tuple(coords), colour, 1.5))
        for (x, y), p in zip(coords, numeric, strict=True):
            shapes.append(_marker(kind, x, y, colour, _point_title(series, p), p.flag == "low"))
            if len(numeric) <= 24:
                shapes.append(Label(x, y - 7, p.shown.split(" ")[0], 9, "middle", fill=colour))
    for p in series.points:
        if p.value is None:
            x, y = round(axis.x(p.date), 2), round(scale.bottom - 8, 2)
            shapes.append(_marker(kind, x, y, colour, _point_title(series, p), True))
            shapes.append(Label(x + 7, y + 3, f"{series.label} {p.shown}", 9, fill=colour))
    shapes += _lower_limits(series, axis, scale, colour)
    unit = UNIT_LABELS.get(series.unit, series.unit)
    return Group(f"{series.label} ({unit}): {len(series.points)} results", tuple(shapes),
                 f"series-{series.id}")


def _lower_limits(series: Series, axis: _XAxis, scale: _YScale, colour: str) -> list[Shape]:
    shapes: list[Shape] = []
    limits = sorted({p.lower for p in series.points if p.lower is not None and p.value is not None})
    for lower in limits:
        days = [p.date for p in series.points if p.lower == lower]
        x1, x2 = axis.x(min(days)) - 14, axis.x(max(days)) + 14
        y = round(scale.y(lower), 2)
        text = f"{series.label} lower limit {_fmt(lower)}"
        shapes.append(Line(round(x1, 2), y, round(x2, 2), y, colour, 1.0, "4 3"))
        if x2 + 3 + len(text) * _CHAR * 0.85 <= axis.x1:
            shapes.append(Label(round(x2 + 3, 2), y + 3, text, 9, fill=colour))
        else:
            shapes.append(Label(round(x1 - 3, 2), y + 3, text, 9, "end", fill=colour))
    return shapes


def _empty(axis: _XAxis, top: float, height: float, text: str) -> Label:
    return Label((axis.x0 + axis.x1) / 2, top + height / 2 + 4, text, 11, "middle", fill=_MUTED)


@dataclass
class _Cursor:
    y: float
    shapes: list[Shape] = field(default_factory=list)


def _series_panel(
    cur: _Cursor,
    title: str,
    left: Sequence[Series],
    right: Sequence[Series],
    floors: tuple[float, float],
    ctx: tuple[_XAxis, list[dt.date], dt.date],
    height: float = 110.0,
) -> None:
    axis, ticks, end = ctx
    top = cur.y + 20
    shapes = _frame(title, top, height, axis, ticks)
    drawn = False
    for group, floor, on_right in ((left, floors[0], False), (right, floors[1], True)):
        values = [v for s in group for p in s.points for v in (p.value, p.lower) if v is not None]
        if not any(s.points for s in group):
            continue
        scale = _scale(values, floor, top, top + height)
        x = axis.x1 if on_right else axis.x0
        grid = None if on_right or drawn else axis.x1
        shapes += _y_axis(scale, x, group[0].unit, on_right, grid)
        shapes += [_series_shapes(s, axis, scale, end) for s in group]
        drawn = True
    if not drawn:
        names = " or ".join(s.label for s in (*left, *right))
        shapes.append(_empty(axis, top, height, f"No {names} recorded"))
    cur.shapes.append(Group(title, tuple(shapes), "panel"))
    cur.y = top + height + 14


def _bar_rows(t: Timeline) -> list[list[TherapyBar]]:
    """One row per drug, in the order of the drug's first course; courses by start date."""
    rows: dict[str, list[TherapyBar]] = {}
    for bar in sorted(t.therapies, key=lambda b: (b.start, b.label)):
        rows.setdefault(bar.label, []).append(bar)
    return list(rows.values())


def _bar(bar: TherapyBar, axis: _XAxis, y: float, room: float) -> list[Shape]:
    colour = _OUTCOME_COLOUR.get(bar.outcome, _OTHER_OUTCOME)
    x1, x2 = axis.x(bar.start), max(axis.x(bar.end), axis.x(bar.start) + 2)
    until = "now (as of)" if bar.ongoing else (bar.stop_text or bar.end.isoformat())
    dose = f" {bar.dose_text}" if bar.dose_text else ""
    approx = ", partial dates" if bar.approximate else ""
    name = f"{bar.label}{dose}: {bar.start_text or bar.start.isoformat()} to {until}, " \
           f"{bar.outcome}{approx}"
    shapes: list[Shape] = [
        Box(round(x1, 2), y + 2, round(x2 - x1, 2), 12, colour, colour, name,
            f"therapy-bar outcome-{bar.outcome}", "3 2" if bar.approximate else None)
    ]
    if len(bar.outcome) * _CHAR * 0.85 + 8 <= room - x2:  # the outcome word fits before the next
        shapes.append(Label(round(x2 + 4, 2), y + 12, bar.outcome, 9, fill=colour))
    return shapes


def _therapy_panel(cur: _Cursor, t: Timeline, axis: _XAxis, ticks: list[dt.date]) -> None:
    title = PANEL_TITLES[4]
    bar_rows = _bar_rows(t)
    rows = len(bar_rows) + (1 if t.ivig else 0)
    top = cur.y + 20
    height = max(36.0, 20.0 * rows + 8)
    shapes = _frame(title, top, height, axis, ticks)
    for i, row in enumerate(bar_rows):
        y = top + 6 + 20 * i
        shapes.append(Label(axis.x0 - 8, y + 11, row[0].label, 11, "end"))
        for j, bar in enumerate(row):
            room = axis.x(row[j + 1].start) if j + 1 < len(row) else axis.x1 + _RIGHT
            shapes += _bar(bar, axis, y, room)
    if t.ivig:
        y = top + 6 + 20 * len(bar_rows) + 8
        shapes.append(Label(axis.x0 - 8, y + 4, "IVIG infusions", 11, "end"))
        for mark in t.ivig:
            x = round(axis.x(mark.date), 2)
            stroke = _BLOCKED if mark.blocked else _IVIG
            fill = _IVIG if mark.status == "given" else "#ffffff"
            title_text = mark.label + (" (blocked)" if mark.blocked else "")
            shapes.append(Polygon(((x - 5, y - 5), (x + 5, y - 5), (x, y + 5)), fill, stroke,
                                  title_text, f"ivig-mark ivig-{mark.status}"))
    if not rows:
        shapes.append(_empty(axis, top, height, "No dated therapy course recorded"))
    cur.shapes.append(Group(title, tuple(shapes), "panel"))
    cur.y = top + height


def _wrap(text: str, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and (len(line) + 1 + len(word)) * _CHAR > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def _legend(cur: _Cursor, width: float) -> None:
    entries: list[tuple[str, Shape]] = []
    for sid, label in (("clasi_activity", "CLASI-A"), ("clasi_damage", "CLASI-D"),
                       ("sledai_2k", "SLEDAI-2K"), ("wbc", "WBC"), ("c3", "C3"), ("c4", "C4")):
        colour, kind = _STYLE[sid]
        entries.append((label, _marker(kind, 0, 0, colour, label, False)))
    entries.append(("lower limit (laboratory)", Line(-7, 0, 7, 0, _MUTED, 1.0, "4 3")))
    entries.append(("prednisone equivalent", Line(-7, 0, 7, 0, _STYLE["prednisone_equivalent"][0],
                                                  2.0)))
    entries.append(("open marker: below the lower limit",
                    Dot(0, 0, 3.5, "#ffffff", _MUTED)))
    for outcome, colour in (*_OUTCOME_COLOUR.items(), ("stopped or other", _OTHER_OUTCOME)):
        text = "partial response" if outcome == "partial" else outcome
        entries.append((text, Box(-7, -5, 14, 10, colour, colour)))
    entries.append(("IVIG given", Polygon(((-5, -5), (5, -5), (0, 5)), _IVIG, _IVIG)))
    entries.append(("IVIG planned", Polygon(((-5, -5), (5, -5), (0, 5)), "#ffffff", _IVIG)))
    shapes: list[Shape] = []
    x, y = 16.0, cur.y
    for text, swatch in entries:
        room = 22 + len(text) * _CHAR + 14
        if x + room > width - 8:
            x, y = 16.0, y + 18
        shapes.append(_moved(swatch, x + 7, y))
        shapes.append(Label(x + 18, y + 4, text, 10))
        x += room
    cur.shapes.append(Group("Legend", tuple(shapes), "legend"))
    cur.y = y + 16


def _moved(shape: Shape, dx: float, dy: float) -> Shape:
    if isinstance(shape, Dot):
        return Dot(shape.cx + dx, shape.cy + dy, shape.r, shape.fill, shape.stroke)
    if isinstance(shape, Line):
        return Line(shape.x1 + dx, shape.y1 + dy, shape.x2 + dx, shape.y2 + dy, shape.stroke,
                    shape.width, shape.dash)
    if isinstance(shape, Box):
        return Box(shape.x + dx, shape.y + dy, shape.w, shape.h, shape.fill, shape.stroke)
    assert isinstance(shape, Polygon)
    return Polygon(tuple((a + dx, b + dy) for a, b in shape.points), shape.fill, shape.stroke)


def _description(t: Timeline) -> str:
    given = sum(1 for m in t.ivig if m.status == "given")
    parts = [
        f"From {t.start.isoformat()} to {t.end.isoformat()}; as of {t.as_of.isoformat()}.",
        f"CLASI examinations: {len(t.clasi_activity.points)}.",
        f"SLEDAI-2K scored at {len(t.sledai.points)} dates ({t.sledai_window_days}-day window).",
        f"WBC results: {len(t.wbc.points)}; C3: {len(t.c3.points)}; C4: {len(t.c4.points)}.",
        f"Prednisone-equivalent dose changes: {len(t.prednisone_equivalent.points)}.",
        f"Therapy courses drawn: {len(t.therapies)}; undated, listed only: "
        f"{len(t.undated_therapies)}.",
        f"IVIG infusions: {given} given, {len(t.ivig) - given} planned.",
    ]
    return " ".join(parts)


def timeline_layout(t: Timeline, *, width: int = 960) -> Layout:
    """Lay the timeline out as plain shapes (SVG coordinates), for SVG or PDF output."""
    span = max((t.end - t.start).days, 30)
    pad = dt.timedelta(days=max(1, round(span * 0.03)))
    axis = _XAxis(t.start - pad, t.start + dt.timedelta(days=span) + pad, _LEFT, width - _RIGHT)
    ticks, fmt = _date_ticks(axis.start, axis.end, axis.x1 - axis.x0)
    title = f"Timeline of case {t.case_id} as of {t.as_of.isoformat()}"
    cur = _Cursor(_TOP)
    cur.shapes.append(Label(16, 22, title, 14, bold=True))
    _legend(cur, width)
    body_top = cur.y + 6
    ctx = (axis, ticks, t.as_of)
    _series_panel(cur, PANEL_TITLES[0], (t.clasi_activity, t.clasi_damage), (), (10, 1), ctx)
    _series_panel(cur, PANEL_TITLES[1], (t.sledai,), (), (10, 1), ctx, 90)
    _series_panel(cur, PANEL_TITLES[2], (t.wbc,), (t.c3, t.c4), (5, 0.5), ctx)
    _series_panel(cur, PANEL_TITLES[3], (t.prednisone_equivalent,), (), (10, 1), ctx, 80)
    _therapy_panel(cur, t, axis, ticks)
    bottom = cur.y
    shapes = cur.shapes
    x_now = round(axis.x(t.as_of), 2)
    if t.end > t.as_of:
        future = Box(x_now, body_top, round(axis.x1 - x_now, 2), round(bottom - body_top, 2),
                     _FUTURE, None, "after as_of: planned only")
        shapes.insert(2, future)
    anchor = "middle" if _LEFT + 50 < x_now < width - 50 else "start" if x_now < 300 else "end"
    shapes.append(Group("As of", (
        Line(x_now, body_top, x_now, bottom, _INK, 1.0, "2 2"),
        Line(x_now, bottom + 17, x_now, bottom + 20, _INK),
        Label(x_now, bottom + 28, f"as of {t.as_of.isoformat()}", 9, anchor, bold=True),
    ), "as-of"))
    labels = tuple(Label(round(axis.x(d), 2), bottom + 14, d.strftime(fmt), 10, "middle")
                   for d in ticks)
    shapes.append(Group("Date axis", (Line(axis.x0, bottom, axis.x1, bottom), *labels), "x-axis"))
    cur.y = bottom + 46
    _notes(cur, t, width)
    key = hashlib.sha256(t.case_id.encode("utf-8")).hexdigest()[:8]
    return Layout(float(width), round(cur.y, 2), title, _description(t), key, tuple(shapes))


def _notes(cur: _Cursor, t: Timeline, width: int) -> None:
    texts: list[str] = []
    if t.undated_therapies:
        listed = ", ".join(f"{u.label} ({u.outcome}; {u.missing} not recorded)"
                           for u in t.undated_therapies)
        texts.append(f"Not drawn, for want of dates: {listed}.")
    texts += list(t.notes)
    shapes: list[Shape] = []
    for text in texts:
        for line in _wrap(text, width - 32):
            shapes.append(Label(16, cur.y, line, 10, fill=_INK))
            cur.y += 14
    if shapes:
        cur.shapes.append(Group("Not drawn and notes", tuple(shapes), "notes"))
    cur.y += 4


# --- SVG ----------------------------------------------------------------------------------------


def _attr(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _titled(tag: str, attrs: str, title: str | None, css: str | None) -> str:
    cls = f' class="{_attr(css)}"' if css else ""
    if title is None:
        return f"<{tag}{cls} {attrs}/>"
    return (f'<{tag}{cls} {attrs} role="img" aria-label="{_attr(title)}">'
            f"<title>{escape(title)}</title></{tag}>")


def _dash(dash: str | None) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _svg(shape: Shape) -> str:
    if isinstance(shape, Group):
        cls = f' class="{_attr(shape.css)}"' if shape.css else ""
        inner = "".join(_svg(c) for c in shape.children)
        return f'<g{cls} role="group" aria-label="{_attr(shape.label)}">{inner}</g>'
    if isinstance(shape, Line):
        return (f'<line x1="{_num(shape.x1)}" y1="{_num(shape.y1)}" x2="{_num(shape.x2)}" '
                f'y2="{_num(shape.y2)}" stroke="{shape.stroke}" stroke-width="{shape.width:g}"'
                f"{_dash(shape.dash)}/>")
    if isinstance(shape, PolyLine):
        pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)
        return (f'<polyline points="{pts}" fill="none" stroke="{shape.stroke}" '
                f'stroke-width="{shape.width:g}"{_dash(shape.dash)}/>')
    if isinstance(shape, Box):
        stroke = f' stroke="{shape.stroke}"' if shape.stroke else ""
        attrs = (f'x="{_num(shape.x)}" y="{_num(shape.y)}" width="{_num(shape.w)}" '
                 f'height="{_num(shape.h)}" fill="{shape.fill}"{stroke}{_dash(shape.dash)}')
        return _titled("rect", attrs, shape.title, shape.css)
    if isinstance(shape, Dot):
        attrs = (f'cx="{_num(shape.cx)}" cy="{_num(shape.cy)}" r="{_num(shape.r)}" '
                 f'fill="{shape.fill}" stroke="{shape.stroke}" stroke-width="1.5"')
        return _titled("circle", attrs, shape.title, shape.css)
    if isinstance(shape, Polygon):
        pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)
        attrs = (f'points="{pts}" fill="{shape.fill}" stroke="{shape.stroke}" '
                 f'stroke-width="1.5"{_dash(shape.dash)}')
        return _titled("polygon", attrs, shape.title, shape.css)
    weight = ' font-weight="bold"' if shape.bold else ""
    return (f'<text x="{_num(shape.x)}" y="{_num(shape.y)}" font-size="{shape.size:g}" '
            f'text-anchor="{shape.anchor}" fill="{shape.fill}"{weight}>{escape(shape.text)}</text>')


def timeline_svg(t: Timeline, *, width: int = 960) -> str:
    """The timeline as one self-contained SVG document (UTF-8 text, no XML declaration).

    Args:
        t: the timeline built by `clepath.engine.timeline.build_timeline`.
        width: the drawing width in pixels; the height follows from the content.

    Returns:
        The SVG markup; every text is escaped, so any case id is safe to embed.
    """
    layout = timeline_layout(t, width=width)
    tid, did = f"clepath-timeline-{layout.key}-title", f"clepath-timeline-{layout.key}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(layout.width)}" '
        f'height="{_num(layout.height)}" viewBox="0 0 {_num(layout.width)} '
        f'{_num(layout.height)}" role="img" aria-labelledby="{tid} {did}" '
        'font-family="sans-serif" font-size="11">'
        f'<title id="{tid}">{escape(layout.title)}</title>'
        f'<desc id="{did}">{escape(layout.desc)}</desc>'
        f'<rect x="0" y="0" width="{_num(layout.width)}" height="{_num(layout.height)}" '
        'fill="#ffffff"/>'
    )
    body = "".join(_svg(s) for s in layout.children)
    return f"{head}{body}</svg>\n"
