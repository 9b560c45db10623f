"""SVG charts: well-formed XML with title and desc, axis labels, no NaN, sensible with empty,
one-point and gappy series, escaped text."""

import math
import xml.etree.ElementTree as ET

import pytest

from metrics import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(str(chart.svg))
    assert root.tag == f"{SVG}svg"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("role") == "img"
    labelled = root.get("aria-labelledby").split()
    assert labelled == [title.get("id"), desc.get("id")]
    text = str(chart.svg)
    assert "NaN" not in text and "nan" not in text.replace("font-", "") and "inf" not in text
    assert chart.summary and "NaN" not in chart.summary
    for row in chart.rows:
        assert "nan" not in " ".join(row).lower()
    return root


def texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def numbers_in(root) -> list[float]:
    values = []
    for element in root.iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height"):
            if element.get(name) is not None:
                values.append(float(element.get(name)))
        for attr in ("points",):
            if element.get(attr):
                for pair in element.get(attr).split():
                    values.extend(float(v) for v in pair.split(","))
    return values


SERIES_CASES = {
    "empty": ([], []),
    "one point": (["2026-01-01"], [3.0]),
    "gaps": (["a", "b", "c", "d"], [1.0, None, float("nan"), 4.0]),
    "all missing": (["a", "b"], [None, float("inf")]),
    "zeros": (["a", "b", "c"], [0, 0, 0]),
    "big": ([f"w{i}" for i in range(60)], [i * 1000.5 for i in range(60)]),
}


@pytest.mark.parametrize("case", sorted(SERIES_CASES))
def test_line_chart_cases(case):
    labels, values = SERIES_CASES[case]
    chart = charts.line_chart(
        chart_id="c",
        title="Time to first response",
        labels=labels,
        series=[("Median", values), ("P90", [v if v is None else 2 * v for v in values])],
        x_label="Snapshot",
        y_label="Hours",
    )
    root = parse(chart)
    words = texts(root)
    assert "Snapshot" in words and "Hours" in words
    assert all(math.isfinite(v) for v in numbers_in(root))
    assert len(chart.rows) == len(labels)
    if case in ("empty", "all missing"):
        assert "No data yet" in words
        assert "no data yet" in chart.summary
    if case == "one point":
        assert len(root.findall(f".//{SVG}circle")) == 2  # a dot per series, no line
        assert not root.findall(f".//{SVG}polyline")
    if case == "gaps":
        # a -> (gap) -> d: two separate dots, no line through the gap
        assert not root.findall(f".//{SVG}polyline")
        assert chart.rows[1][1] == "—"


@pytest.mark.parametrize("case", sorted(SERIES_CASES))
def test_bar_chart_cases(case):
    labels, values = SERIES_CASES[case]
    chart = charts.bar_chart(
        chart_id="b",
        title="Posts per week",
        labels=labels,
        values=values,
        x_label="Week",
        y_label="Posts",
    )
    root = parse(chart)
    assert all(math.isfinite(v) for v in numbers_in(root))
    bars = list(root.iter(f"{SVG}rect"))
    present = [v for v in values if charts.clean(v) is not None]
    assert len(bars) == len(present)


@pytest.mark.parametrize("count", [0, 1, 2, 12])
def test_stacked_chart(count):
    labels = [f"2026-{m:02d}-01" for m in range(1, count + 1)]
    layers = [
        ("Core", [2] * count),
        ("Active", [None] * count),
        ("Occasional", [float("nan")] * count),
        ("Peripheral", list(range(count))),
    ]
    chart = charts.stacked_chart(
        chart_id="s",
        title="Levels",
        labels=labels,
        layers=layers,
        colours=charts.LEVEL_COLOURS,
        x_label="Snapshot",
        y_label="Members",
        extra_columns=[("Dormant", [5] * count)],
    )
    root = parse(chart)
    assert all(math.isfinite(v) for v in numbers_in(root))
    assert len(chart.rows) == count
    assert chart.headers == ["Snapshot", "Core", "Active", "Occasional", "Peripheral", "Dormant"]
    if count == 1:
        assert root.findall(f".//{SVG}rect")  # a stacked column instead of areas
    if count >= 2:
        assert len(root.findall(f".//{SVG}polygon")) == 4


def test_stacked_top_is_the_total():
    chart = charts.stacked_chart(
        chart_id="s",
        title="Levels",
        labels=["a", "b"],
        layers=[("Core", [3, 4]), ("Active", [5, 6])],
        colours={},
        x_label="x",
        y_label="y",
    )
    assert "4 core, 6 active" in chart.summary
    root = parse(chart)
    ticks = [t for t in texts(root) if t.replace(",", "").isdigit()]
    assert max(int(t) for t in ticks) >= 10


def test_hbar_chart_and_escaping():
    chart = charts.hbar_chart(
        chart_id="h",
        title="Top brokers",
        items=[("<script>alert(1)</script>", 0.5, "#000"), ("A very long name " * 4, None, "#111")],
        value_label="Betweenness",
    )
    root = parse(chart)
    assert "<script>" not in str(chart.svg)
    assert any("<script>" in t for t in texts(root))  # escaped, shown as text
    empty = charts.hbar_chart(chart_id="h0", title="Top brokers", items=[], value_label="B")
    assert "Nobody yet" in texts(parse(empty))


def test_spectrum_chart_full_and_empty():
    full = charts.spectrum_chart(
        chart_id="sp",
        spectrum={
            "indicators": {
                "strong_share": {"value": 0.2, "score": 0.6},
                "reciprocity": {"value": float("nan"), "score": None},
            },
            "score": 0.6,
            "label": "in between",
        },
    )
    root = parse(full)
    assert "Mean" in texts(root)
    assert len(full.rows) == 7
    assert "in between" in full.summary
    empty = charts.spectrum_chart(chart_id="sp0", spectrum={})
    parse(empty)
    assert "not enough data" in empty.summary


def _nodes(n):
    return [
        charts.Node(key=i, x=(i % 7) / 7, y=(i // 7) / 7, size=i, group=f"G{i % 3}", label=f"P{i}")
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [0, 1, 2, 50])
def test_network_chart(n):
    nodes = _nodes(n)
    edges = [
        charts.Edge(i, i + 1, 0.05 + (i % 10) / 10, "strong" if i % 2 else "weak")
        for i in range(n - 1)
    ]
    edges.append(charts.Edge(0, 999, 0.5, "weak"))  # an end that is not drawn: skipped
    colours = charts.group_colours([node.group for node in nodes])
    chart = charts.network_chart(chart_id="n", nodes=nodes, edges=edges, colours=colours)
    root = parse(chart)
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == n
    assert len(root.findall(f".//{SVG}line")) == max(0, n - 1)
    assert all(math.isfinite(v) for v in numbers_in(root))
    for circle in circles:
        assert circle.find(f"{SVG}title").text.startswith("P")
        assert 0 <= float(circle.get("cx")) <= 640 and 0 <= float(circle.get("cy")) <= 480
    if n == 0:
        assert "No ties yet" in texts(root)


def test_network_chart_nan_positions_and_sizes_skipped():
    nodes = [
        charts.Node(key=1, x=float("nan"), y=0.5, size=1, group=None, label="a"),
        charts.Node(key=2, x=0.2, y=0.3, size=float("nan"), group=None, label="b"),
        charts.Node(key=3, x=0.8, y=0.9, size=0, group="G", label="c"),
    ]
    chart = charts.network_chart(
        chart_id="n", nodes=nodes, edges=[], colours=charts.group_colours(["G"])
    )
    root = parse(chart)
    assert len(root.findall(f".//{SVG}circle")) == 2


def test_group_colours_stable_and_grey_for_none():
    first = charts.group_colours(["Nurses", "Doctors", None])
    second = charts.group_colours(["Doctors", "Nurses"])
    assert first == second
    assert first[None] == charts.NO_GROUP_COLOUR


@pytest.mark.parametrize(
    "value,top", [(0, 1), (0.3, 1), (7, 8), (12, 15), (48, 50), (50, 50), (51, 60), (1234, 1500)]
)
def test_axis_tops_are_round(value, top):
    assert charts.nice_max(value) == top
    ticks = charts._ticks(charts.nice_max(value))
    assert ticks[0] == 0 and ticks[-1] == pytest.approx(top) and 3 <= len(ticks) - 1 <= 5


def test_fmt_and_clean():
    assert charts.fmt(None) == "—" and charts.fmt(float("nan")) == "—"
    assert charts.fmt(1234.0) == "1,234" and charts.fmt(0.123, 2) == "0.12"
    assert charts.clean("x") is None and charts.clean(True) is None and charts.clean("2") == 2.0
