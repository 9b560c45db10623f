"""Snippet escaping: the all-at-once path for paired markers escapes exactly as the piecewise
path does, for any text."""

from hypothesis import given
from hypothesis import strategies as st

from search.text import (
    MARK_START,
    MARK_STOP,
    _escape_marked_pieces,
    escape_marked,
    stem_snippet,
)

CHARS = st.sampled_from(["a", " ", "<", ">", "&", '"', "'", "é", MARK_START, MARK_STOP])


@given(st.lists(CHARS, max_size=40).map("".join))
def test_escape_marked_is_the_piecewise_escape(value):
    assert escape_marked(value) == _escape_marked_pieces(value)


@given(st.lists(st.sampled_from(["dress", "ing", " ", "<b>", "&", "x"]), max_size=30))
def test_snippets_escape_as_before(words):
    marked = stem_snippet("".join(words), ["dress"])
    escaped = escape_marked(marked)
    assert escaped == _escape_marked_pieces(marked)
    assert escaped.count("<mark>") == escaped.count("</mark>") == marked.count(MARK_START)


def test_unpaired_markers_are_closed():
    assert escape_marked(f"a{MARK_START}<b") == "a<mark>&lt;b</mark>"
    assert escape_marked(f"{MARK_STOP}x{MARK_START}{MARK_START}y") == "x<mark>y</mark>"
