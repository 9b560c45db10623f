"""Server-side SVG charts for the dashboards: no JavaScript, no CDN.

Every builder returns a :class:`Chart`: the SVG markup (with ``<title>`` and ``<desc>``, axis
labels, ``role="img"``), a one-sentence summary and a table — the text alternative the template
shows under the drawing. Values that are missing, NaN or infinite are treated as gaps, never drawn
as numbers, so a chart never contains "NaN". Builders take plain lists and dicts; the views turn
snapshots into those.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Okabe-Ito: distinguishable with the common colour-vision deficiencies (series, bars).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# Professional groups can be a dozen: Okabe-Ito without its pale yellow (faint on white) and
# black (reads as an outline), then Paul Tol's "muted" colours; they repeat after 15 groups.
GROUP_PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
    "#332288", "#DDCC77", "#117733", "#882255", "#44AA99", "#999933", "#AA4499", "#CC6677",
    "#88CCEE",
)  # fmt: skip
NO_GROUP_COLOUR = "#8c959f"
LEVEL_COLOURS = {
    "core": "#123e43",
    "active": "#1d5c63",
    "occasional": "#5fa8a0",
    "peripheral": "#b7dcd6",
    "dormant": "#d0d7de",
}
INK = "#1f2328"
MUTED = "#57606a"
GRID = "#d0d7de"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass
class Chart:
    """An SVG drawing and its text alternative (a sentence and a table)."""

    svg: SafeString
    title: str
    summary: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    # The network drawing's people, in drawing order: {"n": its data-n, "key", "label",
    # "group", "detail"}: the list beside the drawing that keyboards and screen readers use.
    people: list[dict] = field(default_factory=list)

    @property
    def has_table(self) -> bool:
        return bool(self.rows)


# --- helpers -------------------------------------------------------------------------------------


def clean(value) -> float | None:
    """Return *value* as a finite float, or None for missing / NaN / infinite / non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return number


def fmt(value, digits: int = 1) -> str:
    """Format a number for labels and tables: integers plainly, others with *digits* decimals."""
    number = clean(value)
    if number is None:
        return "—"
    if abs(number - round(number)) < 1e-9 and abs(number) >= 1:
        return f"{int(round(number)):,}"
    return f"{number:,.{digits}f}"


def _n(value: float) -> str:
    """A coordinate for SVG: short, finite."""
    value = clean(value) or 0.0
    text = f"{value:.1f}"
    return "0" if text in ("-0.0", "0.0") else text.removesuffix(".0")


def nice_step(value: float) -> float:
    """Round *value* up to 1, 2 or 5 × a power of ten."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10**exponent
    for step in (1, 2, 5, 10):
        if value <= step * base + 1e-9:
            return step * base
    return 10 * base


def axis_step(value: float) -> float:
    """A round tick step giving 3 to 5 intervals up to *value*."""
    return nice_step(value / 5) if value > 0 else 0.2


def nice_max(value: float) -> float:
    """The top of an axis holding *value*: a whole number of round steps (at least 1)."""
    value = max(value, 1.0)
    step = axis_step(value)
    return step * math.ceil(value / step - 1e-9)


def _ticks(top: float) -> list[float]:
    """Round ticks from 0 to *top* (a multiple of axis_step(top) when nice_max made it)."""
    step = axis_step(top)
    return [step * i for i in range(int(round(top / step)) + 1)]


def _open(chart_id: str, width: int, height: int, title: str, desc: str, css: str) -> list[str]:
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart {css}" role="img" aria-labelledby="{tid} {did}" '
        f'font-family="{FONT}" font-size="13">',
        f'<title id="{tid}">{escape(title)}</title>',
        f'<desc id="{did}">{escape(desc)}</desc>',
    ]


def _close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    # Every text node above went through escape(); attributes are numbers or constants.
    return mark_safe("".join(parts))


def _empty_note(parts, width, height, text="No data yet"):
    parts.append(
        f'<text x="{_n(width / 2)}" y="{_n(height / 2)}" text-anchor="middle" '
        f'fill="{MUTED}" font-size="14">{escape(text)}</text>'
    )


def _label_every(count: int, room: int) -> int:
    """Show every n-th category label so at most *room* labels are drawn."""
    return max(1, math.ceil(count / max(1, room)))


@dataclass
class _Frame:
    """Plot area and axes shared by the line, bar and stacked charts."""

    width: int = 600
    height: int = 280
    left: int = 58
    right: int = 16
    top: int = 16
    bottom: int = 58

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float, top: float) -> float:
        return self.top + self.plot_h * (1 - value / top)

    def axes(
        self,
        parts: list[str],
        *,
        top: float,
        x_label: str,
        y_label: str,
        y_tick_labels: Mapping[float, str] | None = None,
    ):
        ticks = list(y_tick_labels) if y_tick_labels else _ticks(top)
        for tick in ticks:
            y = self.y(tick, top)
            parts.append(
                f'<line x1="{self.left}" x2="{_n(self.width - self.right)}" y1="{_n(y)}" '
                f'y2="{_n(y)}" stroke="{GRID}" stroke-width="1"/>'
            )
            text = y_tick_labels[tick] if y_tick_labels else fmt(tick, 1 if top < 5 else 0)
            parts.append(
                f'<text x="{self.left - 6}" y="{_n(y + 4)}" text-anchor="end" '
                f'fill="{MUTED}">{escape(text)}</text>'
            )
        base = self.top + self.plot_h
        parts.append(
            f'<line x1="{self.left}" x2="{_n(self.width - self.right)}" y1="{_n(base)}" '
            f'y2="{_n(base)}" stroke="{INK}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_n(self.left + self.plot_w / 2)}" y="{self.height - 6}" '
            f'text-anchor="middle" fill="{INK}" class="axis-label">{escape(x_label)}</text>'
        )
        cy = self.top + self.plot_h / 2
        parts.append(
            f'<text x="14" y="{_n(cy)}" text-anchor="middle" fill="{INK}" class="axis-label" '
            f'transform="rotate(-90 14 {_n(cy)})">{escape(y_label)}</text>'
        )

    def x_labels(self, parts, labels: Sequence[str], xs: Sequence[float]):
        every = _label_every(len(labels), int(self.plot_w // 80))
        base = self.top + self.plot_h
        for i, (label, x) in enumerate(zip(labels, xs, strict=True)):
            if i % every and i != len(labels) - 1:
                continue
            if i != len(labels) - 1 and len(labels) - 1 - i < every:
                continue  # the last label is always drawn; skip one that would collide with it
            # Keep the label inside the picture (≈ 7.2 units per character at font size 13).
            half = 3.6 * len(label)
            x = min(max(x, half + 2), self.width - half - 2)
            parts.append(
                f'<text x="{_n(x)}" y="{_n(base + 18)}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )


def _legend(parts, frame: _Frame, entries: Sequence[tuple[str, str]]):
    """A one-line legend under the x labels: (colour, label)."""
    x = frame.left
    y = frame.height - 24
    for colour, label in entries:
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{_n(x + 14)}" y="{_n(y)}" fill="{INK}">{escape(label)}</text>'
        )
        x += 24 + 10 * len(label)  # room for the larger text on phones (dashboard.css)


# --- line chart ----------------------------------------------------------------------------------


def line_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence]],
    x_label: str,
    y_label: str,
    unit: str = "",
    y_tick_labels: Mapping[float, str] | None = None,
    y_max: float | None = None,
    summary: str | None = None,
    value_format=None,
) -> Chart:
    """One or more lines over categorical x positions (e.g. snapshot dates); gaps for missing."""
    frame = _Frame(bottom=58 if len(series) > 1 else 40)
    if y_tick_labels:
        # Room for the longest category name left of the axis, plus the rotated axis title.
        frame.left = max(frame.left, 34 + int(7.5 * max(len(t) for t in y_tick_labels.values())))
    value_format = value_format or (lambda v: fmt(v))
    cleaned = [(name, [clean(v) for v in values]) for name, values in series]
    present = [v for _, values in cleaned for v in values if v is not None]
    top = y_max if y_max is not None else nice_max(max(present) if present else 1.0)
    desc = summary or _series_sentence(title, labels, cleaned, unit, value_format)
    parts = _open(chart_id, frame.width, frame.height, title, desc, "chart-line")
    frame.axes(parts, top=top, x_label=x_label, y_label=y_label, y_tick_labels=y_tick_labels)
    n = len(labels)
    xs = [frame.left + frame.plot_w * ((i + 0.5) / n) for i in range(n)] if n else []
    if not present:
        _empty_note(parts, frame.width, frame.height)
    else:
        frame.x_labels(parts, labels, xs)
        for index, (name, values) in enumerate(cleaned):
            colour = PALETTE[index % len(PALETTE)]
            dash = "" if index == 0 else ' stroke-dasharray="6 3"'
            for run in _runs(values):
                points = " ".join(f"{_n(xs[i])},{_n(frame.y(values[i], top))}" for i in run)
                if len(run) > 1:
                    parts.append(
                        f'<polyline points="{points}" fill="none" stroke="{colour}" '
                        f'stroke-width="2.5"{dash}/>'
                    )
            for i, v in enumerate(values):
                if v is None:
                    continue
                parts.append(
                    f'<circle cx="{_n(xs[i])}" cy="{_n(frame.y(v, top))}" r="3.5" fill="{colour}">'
                    f"<title>{escape(f'{name}, {labels[i]}: {value_format(v)}{unit}')}</title>"
                    "</circle>"
                )
        if len(series) > 1:
            _legend(parts, frame, [(PALETTE[i % len(PALETTE)], s[0]) for i, s in enumerate(series)])
    headers = [x_label] + [name for name, _ in series]
    rows = [
        [labels[i]]
        + [value_format(values[i]) if values[i] is not None else "—" for _, values in cleaned]
        for i in range(n)
    ]
    return Chart(_close(parts), title, desc, headers, rows)


def _runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indices of consecutive present values (a line breaks at gaps)."""
    runs, current = [], []
    for i, v in enumerate(values):
        if v is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(i)
    if current:
        runs.append(current)
    return runs


def _series_sentence(title, labels, cleaned, unit, value_format) -> str:
    if not labels or not any(v is not None for _, values in cleaned for v in values):
        return f"{title}: no data yet."
    bits = []
    for name, values in cleaned:
        present = [(labels[i], v) for i, v in enumerate(values) if v is not None]
        if not present:
            bits.append(f"{name}: no data")
        elif len(present) == 1:
            bits.append(f"{name} {value_format(present[0][1])}{unit} on {present[0][0]}")
        else:
            (first_label, first), (last_label, last) = present[0], present[-1]
            bits.append(
                f"{name} from {value_format(first)}{unit} ({first_label}) "
                f"to {value_format(last)}{unit} ({last_label})"
            )
    return f"{title}: " + "; ".join(bits) + "."


# --- bar chart -----------------------------------------------------------------------------------


def bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence,
    x_label: str,
    y_label: str,
    summary: str | None = None,
) -> Chart:
    """Vertical bars, one per category (e.g. posts per week)."""
    frame = _Frame(bottom=40)
    cleaned = [clean(v) for v in values]
    present = [v for v in cleaned if v is not None]
    top = nice_max(max(present) if present else 1.0)
    if summary is None:
        if present:
            total = sum(present)
            peak = max(range(len(cleaned)), key=lambda i: cleaned[i] or 0)
            summary = (
                f"{title}: {fmt(total)} in {len(labels)} periods, at most {fmt(cleaned[peak])} "
                f"({labels[peak]}); latest {fmt(cleaned[-1])} ({labels[-1]})."
            )
        else:
            summary = f"{title}: no data yet."
    parts = _open(chart_id, frame.width, frame.height, title, summary, "chart-bars")
    frame.axes(parts, top=top, x_label=x_label, y_label=y_label)
    n = len(labels)
    if not present:
        _empty_note(parts, frame.width, frame.height)
    else:
        slot = frame.plot_w / n
        bar = max(1.0, min(36.0, slot * 0.75))
        xs = [frame.left + slot * (i + 0.5) for i in range(n)]
        frame.x_labels(parts, labels, xs)
        for i, v in enumerate(cleaned):
            if v is None:
                continue
            y = frame.y(v, top)
            height = frame.top + frame.plot_h - y
            parts.append(
                f'<rect x="{_n(xs[i] - bar / 2)}" y="{_n(y)}" width="{_n(bar)}" '
                f'height="{_n(height)}" fill="{PALETTE[0]}">'
                f"<title>{escape(f'{labels[i]}: {fmt(v)}')}</title></rect>"
            )
    rows = [[labels[i], fmt(cleaned[i])] for i in range(n)]
    return Chart(_close(parts), title, summary, [x_label, y_label], rows)


# --- stacked area --------------------------------------------------------------------------------


def stacked_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    layers: Sequence[tuple[str, Sequence]],
    colours: Mapping[str, str],
    x_label: str,
    y_label: str,
    extra_columns: Sequence[tuple[str, Sequence]] = (),
    summary: str | None = None,
) -> Chart:
    """Stacked areas over time (first layer at the bottom); one point draws a stacked column."""
    frame = _Frame(bottom=58)
    n = len(labels)
    cleaned = [(name, [clean(v) or 0.0 for v in values]) for name, values in layers]
    totals = [sum(values[i] for _, values in cleaned) for i in range(n)]
    top = nice_max(max(totals) if totals else 1.0)
    if summary is None:
        if n and any(totals):
            last = {name: values[-1] for name, values in cleaned}
            summary = f"{title}: on {labels[-1]}, " + ", ".join(
                f"{fmt(v)} {name.lower()}" for name, v in last.items()
            )
            summary += f" ({len(labels)} snapshot{'s' if n != 1 else ''} shown)."
        else:
            summary = f"{title}: no data yet."
    parts = _open(chart_id, frame.width, frame.height, title, summary, "chart-stacked")
    frame.axes(parts, top=top, x_label=x_label, y_label=y_label)
    if not n or not any(totals):
        _empty_note(parts, frame.width, frame.height)
    else:
        xs = [frame.left + frame.plot_w * ((i + 0.5) / n) for i in range(n)]
        if n == 1:
            xs = [frame.left + frame.plot_w / 2]
        frame.x_labels(parts, labels, xs)
        below = [0.0] * n
        for name, values in cleaned:
            above = [below[i] + values[i] for i in range(n)]
            colour = colours.get(name.lower(), PALETTE[0])
            tip = escape(f"{name}: " + ", ".join(f"{labels[i]} {fmt(values[i])}" for i in range(n)))
            if n == 1:
                y_top, y_bottom = frame.y(above[0], top), frame.y(below[0], top)
                parts.append(
                    f'<rect x="{_n(xs[0] - 30)}" y="{_n(y_top)}" width="60" '
                    f'height="{_n(y_bottom - y_top)}" fill="{colour}"><title>{tip}</title></rect>'
                )
            else:
                upper = [f"{_n(xs[i])},{_n(frame.y(above[i], top))}" for i in range(n)]
                lower = [f"{_n(xs[i])},{_n(frame.y(below[i], top))}" for i in reversed(range(n))]
                parts.append(
                    f'<polygon points="{" ".join(upper + lower)}" fill="{colour}" '
                    f'stroke="#fff" stroke-width="0.5"><title>{tip}</title></polygon>'
                )
            below = above
        _legend(parts, frame, [(colours.get(name.lower(), PALETTE[0]), name) for name, _ in layers])
    headers = [x_label] + [name for name, _ in layers] + [name for name, _ in extra_columns]
    rows = [
        [labels[i]]
        + [fmt(values[i]) for _, values in cleaned]
        + [fmt(values[i]) for _, values in extra_columns]
        for i in range(n)
    ]
    return Chart(_close(parts), title, summary, headers, rows)


# --- horizontal bars (top brokers) ---------------------------------------------------------------


def hbar_chart(
    *,
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, object, str]],
    value_label: str,
    summary: str | None = None,
    headers: Sequence[str] | None = None,
    table_rows: Sequence[Sequence[str]] | None = None,
    value_format=None,
) -> Chart:
    """Horizontal bars: (label, value, colour) per row, largest first as given."""
    value_format = value_format or (lambda v: fmt(v, 3))
    width, row_h, label_w, right = 600, 28, 190, 64
    height = 40 + row_h * max(1, len(items))
    cleaned = [(label, clean(v), colour) for label, v, colour in items]
    present = [v for _, v, _ in cleaned if v is not None]
    top = max(present) if present and max(present) > 0 else 1.0
    if summary is None:
        summary = (
            f"{title}: " + "; ".join(f"{label} {value_format(v)}" for label, v, _ in cleaned) + "."
            if cleaned
            else f"{title}: nobody yet."
        )
    parts = _open(chart_id, width, height, title, summary, "chart-hbars")
    if not cleaned:
        _empty_note(parts, width, height, "Nobody yet")
    plot_w = width - label_w - right
    for i, (label, v, colour) in enumerate(cleaned):
        y = 12 + i * row_h
        short = label if len(label) <= 22 else label[:21] + "…"  # fits the 190-unit column
        parts.append(
            f'<text x="{label_w - 8}" y="{_n(y + 14)}" text-anchor="end" fill="{INK}">'
            f"{escape(short)}</text>"
        )
        bar = plot_w * ((v or 0.0) / top)
        parts.append(
            f'<rect x="{label_w}" y="{_n(y + 3)}" width="{_n(max(bar, 1))}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(f"{label}: {value_format(v)}")}</title></rect>'
            f'<text x="{_n(label_w + max(bar, 1) + 6)}" y="{_n(y + 14)}" fill="{MUTED}">'
            f"{escape(value_format(v))}</text>"
        )
    parts.append(
        f'<text x="{_n(label_w + plot_w / 2)}" y="{height - 6}" text-anchor="middle" '
        f'fill="{INK}" class="axis-label">{escape(value_label)}</text>'
    )
    rows = (
        [list(r) for r in table_rows]
        if table_rows is not None
        else [[label, value_format(v)] for label, v, _ in cleaned]
    )
    return Chart(_close(parts), title, summary, list(headers or ["Member", value_label]), rows)


# --- the CoP <-> network-of-practice spectrum ----------------------------------------------------

SPECTRUM_NAMES = {
    "strong_share": "Strong ties among active pairs",
    "reciprocity": "Reciprocity",
    "transitivity": "Transitivity (closed triangles)",
    "multiplexity": "Multiplexity of active ties",
    "repeat_pairs": "Repeat pairs (2+ of 6 months)",
    "continuity": "Continuity of contributors",
}


def spectrum_chart(*, chart_id: str, spectrum: Mapping) -> Chart:
    """Six indicators and their mean on a scale from network of practice (0) to CoP (1)."""
    indicators = spectrum.get("indicators") or {}
    rows_data = []
    for key, name in SPECTRUM_NAMES.items():
        entry = indicators.get(key) or {}
        rows_data.append((name, clean(entry.get("value")), clean(entry.get("score"))))
    overall = clean(spectrum.get("score"))
    label = spectrum.get("label") or "not enough data"
    title = "Community of practice ↔ network of practice"
    if overall is None:
        summary = f"{title}: not enough data to place the community yet."
    else:
        summary = (
            f"{title}: mean score {fmt(overall, 2)} of 1 — {label}. "
            "0 is network-of-practice-like, 1 community-of-practice-like."
        )
    width, label_w, right, row_h = 600, 250, 16, 30
    height = 52 + row_h * (len(rows_data) + 1)
    plot_w = width - label_w - right
    parts = _open(chart_id, width, height, title, summary, "chart-spectrum")
    parts.append(
        f'<text x="{label_w}" y="14" fill="{MUTED}">network of practice</text>'
        f'<text x="{width - right}" y="14" text-anchor="end" fill="{MUTED}">'
        "community of practice</text>"
    )
    all_rows = [*rows_data, ("Mean", None, overall)]
    for i, (name, _value, score) in enumerate(all_rows):
        y = 26 + i * row_h + (8 if name == "Mean" else 0)
        weight = ' font-weight="700"' if name == "Mean" else ""
        parts.append(
            f'<text x="{label_w - 10}" y="{_n(y + 13)}" text-anchor="end" fill="{INK}"{weight}>'
            f"{escape(name)}</text>"
            f'<rect x="{label_w}" y="{_n(y + 6)}" width="{_n(plot_w)}" height="6" rx="3" '
            f'fill="{GRID}"/>'
        )
        if score is None:
            parts.append(
                f'<text x="{_n(label_w + plot_w / 2)}" y="{_n(y + 4)}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="11">no data</text>'
            )
            continue
        cx = label_w + plot_w * min(1.0, max(0.0, score))
        colour = PALETTE[0] if name == "Mean" else PALETTE[2]
        radius = 8 if name == "Mean" else 6
        parts.append(
            f'<circle cx="{_n(cx)}" cy="{_n(y + 9)}" r="{radius}" fill="{colour}" '
            f'stroke="#fff" stroke-width="1.5"><title>{escape(f"{name}: {fmt(score, 2)}")}'
            "</title></circle>"
        )
    parts.append(
        f'<text x="{_n(label_w + plot_w / 2)}" y="{height - 6}" text-anchor="middle" '
        f'fill="{INK}" class="axis-label">Score (0 = network of practice, 1 = community of '
        "practice)</text>"
    )
    headers = ["Indicator", "Value", "Score (0–1)"]
    rows = [[name, fmt(value, 2), fmt(score, 2)] for name, value, score in rows_data]
    rows.append(["Mean", label, fmt(overall, 2)])
    return Chart(_close(parts), title, summary, headers, rows)


# --- the network drawing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    key: int
    x: float
    y: float
    size: float  # centrality used for the radius (betweenness, or degree when all are 0)
    group: str | None
    label: str  # what the hover tooltip says (a name, or "A member" for outsiders)
    detail: str = ""


@dataclass(frozen=True)
class Edge:
    a: int
    b: int
    score: float
    tie_class: str


def group_colours(groups: Sequence[str | None]) -> dict[str | None, str]:
    """A stable colour per group name (sorted), grey for "no group"."""
    names = sorted({g for g in groups if g})
    colours: dict[str | None, str] = {
        name: GROUP_PALETTE[i % len(GROUP_PALETTE)] for i, name in enumerate(names)
    }
    colours[None] = NO_GROUP_COLOUR
    return colours


def network_chart(
    *,
    chart_id: str,
    nodes: Sequence[Node],
    edges: Sequence[Edge],
    colours: Mapping[str | None, str],
    title: str = "Who works with whom",
    width: int = 640,
    height: int = 480,
    summary: str | None = None,
) -> Chart:
    """Nodes at their stored layout positions, coloured by group, sized by centrality; edges
    thicker and darker for stronger ties; each node's <title> is its hover text."""
    pad = 14
    present = [n for n in nodes if clean(n.x) is not None and clean(n.y) is not None]
    if summary is None:
        strong = sum(1 for e in edges if e.tie_class == "strong")
        summary = (
            f"{title}: {len(present)} members and {len(edges)} ties drawn "
            f"({strong} strong, {len(edges) - strong} weak)."
            if present
            else f"{title}: no ties yet."
        )
    parts = _open(chart_id, width, height, title, summary, "chart-network")
    if not present:
        _empty_note(parts, width, height, "No ties yet")
        return Chart(_close(parts), title, summary)
    # Fit the drawn nodes' bounding box (the layout covers members not drawn here too).
    xs = [n.x for n in present]
    ys = [n.y for n in present]
    min_x, min_y = min(xs), min(ys)
    span_x = (max(xs) - min_x) or 1.0
    span_y = (max(ys) - min_y) or 1.0
    max_r = 14.0
    inner_w, inner_h = width - 2 * (pad + max_r), height - 2 * (pad + max_r)
    scale = min(inner_w / span_x, inner_h / span_y)
    off_x = pad + max_r + (inner_w - span_x * scale) / 2
    off_y = pad + max_r + (inner_h - span_y * scale) / 2
    if len(present) == 1:
        scale, off_x, off_y = 0.0, width / 2, height / 2
    # Coordinates as short strings once per node (the big drawing has ~6,000 lines).
    where = {
        n.key: (
            f"{off_x + (n.x - min_x) * scale:.1f}",
            f"{off_y + (n.y - min_y) * scale:.1f}",
        )
        for n in present
    }
    # Drawing-local numbers (not user ids) let dashboard.js light up a tapped node's ties.
    number = {n.key: i for i, n in enumerate(present)}
    scored = []
    for e in edges:
        if e.a in where and e.b in where:
            scored.append((min(1.0, max(0.0, clean(e.score) or 0.0)), e))
    scored.sort(key=lambda pair: pair[0])  # strongest drawn last, on top
    parts.append('<g class="edges" stroke-linecap="round">')
    for score, e in scored:
        (x1, y1), (x2, y2) = where[e.a], where[e.b]
        strong = e.tie_class == "strong"
        stroke = "#123e43" if strong else "#6e7781"
        opacity = 0.85 if strong else 0.35 + 0.4 * score
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{stroke}" '
            f'stroke-width="{0.6 + 3.4 * score:.2f}" stroke-opacity="{opacity:.2f}" '
            f'data-a="{number[e.a]}" data-b="{number[e.b]}"/>'
        )
    parts.append("</g>")
    sizes = [clean(n.size) or 0.0 for n in present]
    biggest = max(sizes) or 1.0
    parts.append('<g class="nodes" stroke="#fff" stroke-width="1">')
    for n, size in sorted(zip(present, sizes, strict=True), key=lambda p: p[1]):
        x, y = where[n.key]
        radius = 3.5 + (max_r - 3.5) * math.sqrt(size / biggest)
        tip = n.label + (f" — {n.group}" if n.group else "") + (f"; {n.detail}" if n.detail else "")
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" data-n="{number[n.key]}" '
            f'fill="{colours.get(n.group, NO_GROUP_COLOUR)}"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</g>")
    people = [
        {
            "n": number[n.key],
            "key": n.key,
            "label": n.label,
            "group": n.group,
            "detail": n.detail,
        }
        for n in present
    ]
    return Chart(_close(parts), title, summary, people=people)
