"""Snippet escaping: the all-at-once path for paired markers escapes exactly as the piecewise
path does, for any text."""

from hypothesis import example, given
from hypothesis import strategies as st

from search.text import (
    MARK_START,
    MARK_STOP,
    _escape_marked_pieces,
    _first_word_start,
    _marked_stems,
    escape_marked,
    stem_pattern,
    stem_snippet,
    stem_snippet_html,
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


WORDS = st.sampled_from(
    ["dress", "Dress", "DRESSING", "un", "ing", "_", " ", "-", "é", "Ünd", "fo", "am", "x", "1"]
    + ["sub", "-optimal", "Optim", "d"]
)


STEMS = st.sampled_from([["dress"], ["dress", "foam"], ["sub-optim", "sub", "optim"], ["d", "dr"]])


@given(st.lists(WORDS, max_size=30).map("".join), STEMS)
def test_the_words_found_without_the_pattern_are_the_patterns(text, stems):
    """stem_snippet finds and marks its words with str.find when given the stems: the same
    first word the pattern's search finds, the same words its sub marks, the same snippet."""
    pattern = stem_pattern(stems)
    hit = pattern.search(text)
    assert _first_word_start(text, stems) == (hit.start() if hit else -1)
    by_pattern = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_STOP}", text)
    assert _marked_stems(text, stems) == by_pattern
    assert stem_snippet(text, stems, pattern=pattern, width=20) == stem_snippet(
        text, pattern=pattern, width=20
    )


def test_a_text_whose_length_lower_case_changes_is_searched_with_the_pattern():
    text = "İİ then dressing"  # "İ".lower() is two characters
    assert _first_word_start(text, ["dress"]) is None
    marked = stem_snippet(text, ["dress"], pattern=stem_pattern(["dress"]))
    assert marked == f"İİ then {MARK_START}dressing{MARK_STOP}"


SNIPPET_WORDS = st.sampled_from(
    ["dress", "Dress", "DRESSING", "un", "ing", "_", " ", "  ", "-", "é", "Ünd", "fo", "am", "1"]
    + ["<b>", "&", '"', "'", "İ", "Σ", "σ", "ς", MARK_START, MARK_STOP, "\x00", "…", "x" * 40]
)
SNIPPET_STEMS = st.sampled_from(
    [["dress"], ["dress", "foam"], ["fo", "foam"], ["d", "dr"], ["σ"], ["ünd"], [], ["", "am"]]
)


@given(st.lists(SNIPPET_WORDS, max_size=60).map("".join), SNIPPET_STEMS, st.integers(5, 240))
# Found by a longer random search: a window that starts inside a word, on a stem (its first
# word is marked, as the piece's own start); a "Σ" whose lower case changes when the window
# cuts its neighbours off.
@example("x" * 20 + "Dress dress", ["dress"], 19)
@example("ςΣ Σdress" + "x" * 20 + "aΣaςdressdressσ ΣΣbunΣb", ["σ"], 7)
def test_stem_snippet_html_is_the_escaped_stem_snippet(text, stems, width):
    """The one-pass snippet is bit for bit escape_marked(stem_snippet(...)), for any text
    (markup, markers, letters whose lower case is longer or depends on its neighbours), stems
    and width."""
    pattern = stem_pattern(stems)
    expected = escape_marked(stem_snippet(text, stems, pattern=pattern, width=width))
    assert stem_snippet_html(text, stems, pattern=pattern, width=width) == expected
