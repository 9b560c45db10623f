"""Markdown rendering: useful formatting survives, no script can."""

import re
from html.parser import HTMLParser

import pytest

from core.markdown import ALLOWED_TAGS, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<div onclick=alert(1)>x</div>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  JAVASCRIPT:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](&#0000106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#9;script:alert(1))",
    "[x](java&#10;script:alert(1))",
    "[x](&#x0A;javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "![x](javascript:alert(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<http://example.org/" onmouseover="alert(1)>',
    '[x](https://example.org "t\\" onmouseover=alert(1)")',
    "```\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "<!-- <script>alert(1)</script> -->",
]

SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _elements(html: str):
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_inert(html: str) -> None:
    """Fail if *html* holds anything a browser would run."""
    for tag, attrs in _elements(html):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                # What a browser does: drop tabs and newlines, trim, compare case-insensitively.
                url = re.sub(r"[\t\n\r]", "", value or "").strip().lower()
                has_scheme = re.match(r"^[a-z][a-z0-9+.\-]*:", url)
                assert not has_scheme or url.startswith(SAFE_SCHEMES), (tag, value)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<svg" not in lowered
    assert "<iframe" not in lowered
    assert "<style" not in lowered
    assert "<img" not in lowered


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_neutralises_xss(payload):
    assert_inert(render_markdown(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_neutralises_xss_inside_lists_and_quotes(payload):
    assert_inert(
        render_markdown(f"- item\n- {payload}\n\n> {payload}\n\n| a |\n|---|\n| {payload} |")
    )


def test_render_markdown_shows_typed_html_as_text():
    html = render_markdown("Use <b>bold</b> & <script>x</script>")
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;" in html
    assert "&amp;" in html


def test_render_markdown_keeps_useful_formatting():
    html = render_markdown(
        "# Title\n\n**bold** *it* `code` [site](https://example.org) "
        "[mail](mailto:a@example.org)\n\n- one\n- two\n\n```python\nx = 1\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    tags = {tag for tag, _ in _elements(html)}
    assert {"h1", "strong", "em", "code", "a", "ul", "li", "pre", "table", "td"} <= tags
    assert 'href="https://example.org"' in html
    assert 'href="mailto:a@example.org"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_render_markdown_drops_unsafe_href_but_keeps_link_text():
    html = render_markdown("[click me](javascript:alert(1))")
    assert "click me" in html
    assert "href" not in html


@pytest.mark.parametrize("text", ["", None])
def test_render_markdown_empty(text):
    assert render_markdown(text) == ""


def test_assert_inert_catches_what_it_should():
    """The checker itself must fail on live markup, or the tests above prove nothing."""
    for live in (
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JAVA\tSCRIPT:alert(1)">x</a>',
        '<p onclick="x">x</p>',
        "<script>x</script>",
        '<a href="data:text/html,x">x</a>',
    ):
        with pytest.raises(AssertionError):
            assert_inert(live)
