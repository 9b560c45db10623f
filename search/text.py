"""Text helpers shared by indexing and searching: plain text for the index, the reader's query
cut to a size search can handle, and escaped snippets with highlight marks."""

import html
import re
from dataclasses import dataclass, field

# Highlight markers: private-use characters. Indexed text never contains them (clean_text
# removes them), so after escaping a snippet they are the only places a <mark> can appear.
MARK_START = "\ue000"
MARK_STOP = "\ue001"

# A query longer than this is cut (its first words are kept) and the page says so. Each word
# becomes a search term; a few dozen terms say everything a search box can say.
MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# Words too common to search for on SQLite (PostgreSQL's text-search configuration has its own
# list). A short list of the most frequent English words is enough for the simple matcher.
_STOP_WORDS = """
    a about above after again all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me
    more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your yours
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_TAG_RE = re.compile(r"<[^>]*>")
_WORD_CHARS_RE = re.compile(r"\w*")  # \w: a letter, digit or "_" (str.isalnum() or "_")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def clean_text(value: str) -> str:
    """Drop the highlight markers and NUL characters (which PostgreSQL refuses) from *value*."""
    return (value or "").replace(MARK_START, "").replace(MARK_STOP, "").replace("\x00", "")


def html_to_text(value: str) -> str:
    """Return the words of sanitized HTML (block boundaries become spaces), markers removed."""
    text = html.unescape(_TAG_RE.sub(" ", value or ""))
    return clean_text(_SPACE_RE.sub(" ", text).strip())


def index_text(*parts: str, limit: int) -> str:
    """Join *parts* into the text an entry indexes, keeping only its first *limit* characters."""
    return "\n\n".join(p for p in parts if p)[:limit]


def tag_field(names) -> str:
    """Return "|a|b|" for tag names (a name's own "|" becomes "/")."""
    names = [clean_text(str(n)).replace("|", "/").strip() for n in names]
    names = [n for n in names if n]
    return f"|{'|'.join(names)}|" if names else ""


@dataclass
class ParsedQuery:
    """The reader's query as search uses it, and what the page should tell them about it."""

    text: str = ""
    words: list[str] = field(default_factory=list)
    # Words that could match (stop words dropped), lower-cased: the simple matcher's terms.
    terms: list[str] = field(default_factory=list)
    shortened: bool = False
    notices: list[str] = field(default_factory=list)

    @property
    def has_words(self) -> bool:
        return bool(self.words)


def parse_query(raw: str | None) -> ParsedQuery:
    """Normalise *raw* (whitespace, length, number of words) and note what was cut."""
    text = " ".join(clean_text(raw or "").split())
    parsed = ParsedQuery()
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        parsed.shortened = True
    pieces = text.split(" ") if text else []
    if len(pieces) > MAX_TERMS:
        pieces = pieces[:MAX_TERMS]
        text = " ".join(pieces)
        parsed.shortened = True
    if parsed.shortened:
        parsed.notices.append(
            f"Your search was long, so only its first {len(pieces)} words were used "
            f"(at most {MAX_TERMS} words or {MAX_QUERY_CHARS} characters)."
        )
    parsed.text = text
    parsed.words = [w.lower() for w in _WORD_RE.findall(text)]
    seen = []
    for word in parsed.words:
        if word not in STOP_WORDS and word not in seen:
            seen.append(word)
    parsed.terms = seen
    return parsed


_OUTSIDE = f"[^{MARK_START}{MARK_STOP}]*"
# Markers that open and close in turn (what stem_snippet and window_snippet make).
_PAIRED_MARKS_RE = re.compile(f"{_OUTSIDE}(?:{MARK_START}{_OUTSIDE}{MARK_STOP}{_OUTSIDE})*")


def escape_marked(value: str) -> str:
    """Escape *value* for HTML and turn the highlight markers into <mark> elements.

    Unbalanced markers (a snippet cut between them) are closed, so the markup stays valid.
    """
    value = value or ""
    if _PAIRED_MARKS_RE.fullmatch(value):  # escaping is per character: all at once
        escaped = html.escape(value, quote=True)
        return escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return _escape_marked_pieces(value)


def _escape_marked_pieces(value: str) -> str:
    """escape_marked piece by piece: any markers, balanced or not."""
    out, open_mark = [], False
    for piece in re.split(f"([{MARK_START}{MARK_STOP}])", value or ""):
        if piece == MARK_START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == MARK_STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(html.escape(piece, quote=True))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


def _window(text: str, first: int, width: int) -> tuple[int, int]:
    """Where a snippet of about *width* characters around position *first* starts and ends,
    moved to the nearest space when one is close."""
    start = max(0, first - width // 3)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.find(" ", end)
        end = space if 0 <= space - end < 30 else end
    return start, end


def _marked(text: str, start: int, end: int, pattern: re.Pattern | None) -> str:
    piece = text[start:end]
    if pattern is not None:
        piece = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_STOP}", piece)
    return ("… " if start else "") + piece + (" …" if end < len(text) else "")


def window_snippet(text: str, terms: list[str], *, width: int = 220) -> str:
    """A piece of *text* around the first occurrence of any term, with every term occurrence in
    it between the highlight markers (not yet escaped: pass it to ``escape_marked``)."""
    text = clean_text(text)
    if not text:
        return ""
    lowered = text.lower()
    hits = [i for i in (lowered.find(t) for t in terms if t) if i >= 0]
    start, end = _window(text, min(hits) if hits else 0, width)
    pattern = None
    if terms:
        pattern = re.compile(
            "|".join(re.escape(t) for t in sorted(set(terms), key=len)[::-1]), re.I
        )
    return _marked(text, start, end, pattern)


def stem_pattern(stems: list[str]) -> re.Pattern | None:
    """The words that start with one of *stems* (PostgreSQL's lexemes: 'dress' for
    "dressings"), longest stems first; None without stems."""
    if not stems:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(set(stems), key=len, reverse=True))
    return re.compile(f"(?<!\\w)(?:{alternatives})\\w*", re.I)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w matches


def _marked_stems(piece: str, stems: list[str]) -> str | None:
    """*piece* with every word that starts with one of the lower-case *stems* between the
    highlight markers: what ``stem_pattern(stems).sub`` marks, found with ``str.find`` (see
    _first_word_start). None when lower-casing changes the piece's length."""
    lowered = piece.lower()
    if len(lowered) != len(piece):
        return None
    ends: dict[int, int] = {}  # a word start: where its longest stem ends
    for stem in stems:
        at = lowered.find(stem) if stem else -1
        while at >= 0:
            if at == 0 or not _is_word_char(piece[at - 1]):
                ends[at] = max(ends.get(at, 0), at + len(stem))
            at = lowered.find(stem, at + 1)
    if not ends:
        return piece
    out, last, size = [], 0, len(piece)
    for at in sorted(ends):
        if at < last:  # inside the word marked last
            continue
        end = ends[at]
        while end < size and _is_word_char(piece[end]):
            end += 1
        out += [piece[last:at], MARK_START, piece[at:end], MARK_STOP]
        last = end
    out.append(piece[last:])
    return "".join(out)


def _first_word_start(text: str, stems: list[str]) -> int | None:
    """Where the first word of *text* that starts with one of the lower-case *stems* begins
    (what ``stem_pattern(stems).search`` finds, with ``str.find`` on the lower-cased text: a
    regular expression with a look-behind tries every position); None when lower-casing
    changes the text's length (its positions would not be the text's): ask the pattern then.
    -1 when there is none."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    first = -1
    for stem in stems:
        at = lowered.find(stem) if stem else -1
        while at > 0 and _is_word_char(text[at - 1]):  # inside a word
            at = lowered.find(stem, at + 1)
        if at >= 0 and (first < 0 or at < first):
            first = at
    return first


def stem_snippet(
    text: str,
    stems: list[str] | None = None,
    *,
    pattern: re.Pattern | None = None,
    width=220,
) -> str:
    """A piece of *text* around the first word that starts with one of *stems* (or that
    *pattern*, from ``stem_pattern``, finds), with every such word in it between the highlight
    markers (not yet escaped: pass it to ``escape_marked``). Given both, *pattern* must be
    ``stem_pattern(stems)``: the words are then found with ``str.find``, and with the pattern
    only in a text whose length lower-casing changes."""
    text = clean_text(text)
    if not text:
        return ""
    if pattern is None and stems is not None:
        pattern = stem_pattern(stems)
    stems = [s.lower() for s in stems] if stems else None
    first = _first_word_start(text, stems) if stems else None
    if first is None:
        hit = pattern.search(text) if pattern else None
        first = hit.start() if hit else 0
    start, end = _window(text, max(first, 0), width)
    if stems:
        marked = _marked_stems(text[start:end], stems)
        if marked is not None:
            return ("… " if start else "") + marked + (" …" if end < len(text) else "")
    return _marked(text, start, end, pattern)


def stem_snippet_html(text: str, stems: list[str], *, pattern: re.Pattern | None, width=220) -> str:
    """``escape_marked(stem_snippet(text, stems, pattern=pattern, width=width))``, the text
    lower-cased once and the snippet escaped without checking its markers (it makes them in
    pairs). Falls back to those two when lower-casing is not one character for one: a "İ"
    becomes two, and a "Σ" depends on its neighbours, so a piece's lower case could differ
    from the same piece of the whole text's."""
    text = clean_text(text)
    if not text:
        return ""
    lowered = text.lower()
    if not stems or len(lowered) != len(text) or "Σ" in text:
        return escape_marked(stem_snippet(text, stems, pattern=pattern, width=width))
    stems = [s.lower() for s in stems]
    first = -1  # as _first_word_start
    for stem in stems:
        at = lowered.find(stem) if stem else -1
        while at > 0 and _is_word_char(text[at - 1]):
            at = lowered.find(stem, at + 1)
        if at >= 0 and (first < 0 or at < first):
            first = at
    start, end = _window(text, max(first, 0), width)
    ends: dict[int, int] = {}  # as _marked_stems on text[start:end]: its first word starts at start
    for stem in stems:
        at = lowered.find(stem, start, end) if stem else -1
        while at >= 0:
            if at == start or not _is_word_char(text[at - 1]):
                ends[at] = max(ends.get(at, 0), at + len(stem))
            at = lowered.find(stem, at + 1, end)
    out, last = ["… " if start else ""], start
    for at in sorted(ends):
        if at < last:  # inside the word marked last
            continue
        stop = _WORD_CHARS_RE.match(text, ends[at], end).end()
        out += [text[last:at], MARK_START, text[at:stop], MARK_STOP]
        last = stop
    out.append(text[last:end])
    if end < len(text):
        out.append(" …")
    # The text has no markers (clean_text) and ours are paired: escape_marked's one-pass case.
    escaped = html.escape("".join(out), quote=True)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
