"""Imported text to our Markdown: HTML bodies through markdownify, and @names made inert.

markdownify (MIT, BeautifulSoup underneath) rather than html2text (GPL-3.0, which would bind
this project's licence): it is a converter class whose rules we override one tag at a time
(images become links; a ``<pre class="lang-py">`` keeps its language), it writes fenced code,
ATX headings and ``-`` lists, and it is kept up to date. The result is then sanitised like any
member's post, by the services (``core.markdown``: Markdown, then nh3).
"""

import re

from bs4 import BeautifulSoup, NavigableString
from markdownify import MarkdownConverter

# What ``practice.mentions`` would link: an imported "@john" must not notify our own john.
_MENTION = re.compile(r"(?<![\w@/.])@(?=[A-Za-z0-9_])")
# A word joiner after the @: invisible when read, and no mention to our parser.
_INERT_AT = "@\u2060"
_NOT_TEXT = {"code", "pre", "a", "script", "style"}
_LANGUAGE = re.compile(r"\blang-([\w+#.-]+)")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def _code_language(el) -> str | None:
    classes = " ".join(el.get("class") or [])
    match = _LANGUAGE.search(classes)
    return match.group(1) if match and match.group(1) != "none" else None


class _Converter(MarkdownConverter):
    def convert_img(self, el, text, parent_tags):
        """An image becomes a link to it (we show no remote images); inside a link, its text."""
        src = (el.get("src") or "").strip()
        label = (el.get("alt") or el.get("title") or "").strip() or "image"
        if not src or "a" in (parent_tags or ()) or "_inline" in (parent_tags or ()):
            return label
        return f"[{self.escape(label, parent_tags)}]({src})"


_converter = _Converter(heading_style="ATX", bullets="-", code_language_callback=_code_language)


def inert_mentions(text: str) -> str:
    """Make @names in plain text inert."""
    return _MENTION.sub(_INERT_AT, text)


def html_to_markdown(html: str) -> str:
    """Convert a Stack Exchange body (HTML) to Markdown, with @names made inert."""
    soup = BeautifulSoup(html or "", "html.parser")
    for node in soup.find_all(string=True):
        if (
            isinstance(node, NavigableString)
            and "@" in node
            and not any(parent.name in _NOT_TEXT for parent in node.parents)
        ):
            node.replace_with(inert_mentions(str(node)))
    return _converter.convert_soup(soup).strip()


def markdown_inert_mentions(markdown: str) -> str:
    """Make @names inert in Markdown source (revisions, comments), leaving code alone."""
    out, fenced = [], False
    for line in (markdown or "").split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
        elif fenced or line.startswith(("    ", "\t")) or "@" not in line:
            out.append(line)
        else:
            parts = _CODE_SPAN.split(line)
            # split() yields text, fence, code, text, fence, code, ...: keep every code piece.
            rebuilt = []
            for i, part in enumerate(parts):
                if i % 3 == 0:
                    rebuilt.append(inert_mentions(part))
                elif i % 3 == 1:
                    rebuilt.append(part)
                else:
                    rebuilt.append(part + parts[i - 1])
            out.append("".join(rebuilt))
    return "\n".join(out)
