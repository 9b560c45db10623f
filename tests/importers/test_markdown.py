"""Stack Exchange HTML to our Markdown: what must survive, and what must not reach anyone."""

import pytest

from core.markdown import render_markdown
from importers.markdown import html_to_markdown, markdown_inert_mentions
from practice.mentions import link_mentions
from tests.factories import UserFactory


def test_html_to_markdown_keeps_code_links_lists_quotes():
    html = (
        "<p>See <a href='https://example.org/x'>the guide</a> and <code>a_b()</code>:</p>"
        "<pre class='lang-py prettyprint-override'><code>def f(x):\n    return x * 2\n</code></pre>"
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>"
        "<blockquote><p>quoted <em>text</em></p></blockquote><h2>Heading</h2>"
    )
    md = html_to_markdown(html)
    assert "[the guide](https://example.org/x)" in md
    assert "`a_b()`" in md
    assert "```py\ndef f(x):\n    return x * 2\n```" in md
    assert "- one\n- two" in md and "1. first" in md
    assert "> quoted *text*" in md and "## Heading" in md
    rendered = render_markdown(md)
    assert "<pre>" in rendered and "<blockquote>" in rendered and "<li>one</li>" in rendered


def test_html_to_markdown_images_become_links():
    md = html_to_markdown('<p><img src="https://i.example.org/a.png" alt="a chart"></p>')
    assert md == "[a chart](https://i.example.org/a.png)"
    assert html_to_markdown('<img src="https://i.example.org/b.png">') == (
        "[image](https://i.example.org/b.png)"
    )


@pytest.mark.django_db
def test_imported_mentions_stay_inert_but_code_is_untouched():
    UserFactory(username="bob")
    md = html_to_markdown("<p>Thanks @bob!</p><pre><code>@decorator\ndef f(): pass</code></pre>")
    assert "@decorator" in md  # code keeps its @ as typed
    html, mentioned = link_mentions(render_markdown(md))
    assert mentioned == [] and "@\u2060bob" in html
    source = "ask @bob\n\n    @indented\n\n```\n@fenced\n```\nand `@span` too"
    inert = markdown_inert_mentions(source)
    assert inert == source.replace("ask @bob", "ask @\u2060bob")
