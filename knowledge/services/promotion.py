"""Promote from practice: a moderator turns a solved question and its accepted answer (or any
post) into a proposed repertoire item, with provenance and credit for every source author.

``promotion_draft`` prefills the form; ``item_promote`` creates the proposal through
``knowledge.services.items.item_propose`` (which writes the revision, the PROMOTED curation
event, the credits and the search index entry).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from communities.models import display_name
from knowledge import permissions
from knowledge.models import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, Item
from knowledge.services.items import item_propose
from practice.models import Post, Thread

# What a thread most often becomes; the moderator changes it on the form.
DEFAULT_KIND = {
    Thread.Kind.QUESTION: Item.Kind.METHOD,
    Thread.Kind.DISCUSSION: Item.Kind.CONCEPT,
    Thread.Kind.STORY: Item.Kind.STORY,
}
MAX_TAGS = 10  # thread tags carried over to the item


@dataclass
class PromotionSource:
    """What is promoted: a thread (its question and accepted answer) or one post in it."""

    thread: Thread
    post: Post | None = None  # None: the thread as a whole
    posts: list[Post] = field(default_factory=list)  # the source posts, in thread order

    @property
    def community(self):
        return self.thread.community

    @property
    def author_ids(self) -> list[int]:
        """Every author of the source posts, in order of appearance, once each."""
        seen = []
        for post in self.posts:
            if post.author_id not in seen:
                seen.append(post.author_id)
        return seen


@dataclass
class PromotionDraft:
    kind: str
    title: str
    summary: str
    body: str
    tag_names: list[str]


def promotion_source(*, thread: Thread, post: Post | None = None) -> PromotionSource:
    """The source posts: the opening post, plus the accepted answer (for a thread) or *post*.

    Hidden posts never become part of an item.
    """
    wanted = [thread.opening_post_id]
    if post is not None and post.pk != thread.opening_post_id:
        wanted.append(post.pk)
    elif post is None and thread.accepted_post_id:
        wanted.append(thread.accepted_post_id)
    posts = (
        Post.objects.filter(thread=thread, pk__in=[pk for pk in wanted if pk], is_hidden=False)
        .select_related("author__profile")
        .order_by("-is_opening", "created_at", "pk")
    )
    return PromotionSource(thread=thread, post=post, posts=list(posts))


LIST_ITEM = re.compile(r"^([-*+]|\d+[.)])\s+")


def _plain(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"(\*\*|__|\*|_|`)", "", text)  # emphasis and code marks
    text = re.sub(r"@([\w.+-]+)", r"\1", text)  # mentions read as names
    return " ".join(text.split())


def _blocks(markdown_text: str) -> list[list[str]]:
    """The text's paragraphs and lists as lists of lines (quotes, headings, tables, code
    skipped)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    in_code = False
    for raw in markdown_text.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_code = not in_code
            line = ""
        if in_code or not line or line.startswith((">", "#", "|")):
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _item_text(line: str) -> str:
    return LIST_ITEM.sub("", line).rstrip(".;,")


def _block_text(blocks: list[list[str]], index: int) -> str:
    """Block *index* as plain text; a paragraph that introduces a list ("Try these:") takes the
    list's first items with it."""
    block = blocks[index]
    if LIST_ITEM.match(block[0]):  # a list
        return _plain("; ".join(_item_text(line) for line in block[:3])) + "."
    lead = [line for line in block if not LIST_ITEM.match(line)]
    items = [_item_text(line) for line in block if LIST_ITEM.match(line)]
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if not items and following and LIST_ITEM.match(following[0]):
        items = [_item_text(line) for line in following if LIST_ITEM.match(line)]
    text = " ".join(lead)
    if text.endswith(":") and items:
        text = f"{text} {'; '.join(items[:3])}."
    return _plain(text)


# Sentences that open an answer politely but say nothing about the practice ("Good question,
# and you're right to be cautious."): a summary starts after them.
PLEASANTRY = re.compile(
    r"^(?:(?:a |what a |such a )?(?:good|great|excellent|interesting|fair|important) question"
    r"|thanks?\b|thank you|many thanks|hi\b|hello\b|hey\b|dear\b"
    r"|you(?:'|’)?re (?:right|not alone)|you are (?:right|not alone)|happy to help"
    r"|i hope (?:this|that|it) helps|hope (?:this|that|it) helps|welcome\b)",
    re.IGNORECASE,
)
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])")
SUMMARY_SENTENCES_CHARS = 240  # a default summary takes sentences up to about this length


def _summary_text(markdown_text: str) -> str:
    """The first sentence(s) of *markdown_text* as plain text, after any opening pleasantries,
    up to about ``SUMMARY_SENTENCES_CHARS`` characters (always at least one sentence)."""
    blocks = _blocks(markdown_text)
    for index in range(len(blocks)):
        sentences = SENTENCE_BREAK.split(_block_text(blocks, index))
        while sentences and PLEASANTRY.match(sentences[0]):
            sentences.pop(0)
        if not sentences:
            continue
        chosen = [sentences[0]]
        for sentence in sentences[1:]:
            if len(" ".join([*chosen, sentence])) > SUMMARY_SENTENCES_CHARS:
                break
            chosen.append(sentence)
        return " ".join(chosen)
    return ""


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def promotion_draft(*, source: PromotionSource) -> PromotionDraft:
    """Prefill the item: the thread's title, the first sentences of the accepted answer (or of
    the promoted post, or of a discussion's opening post) as the summary, and a body quoting
    the source posts with attribution and a link back to the discussion."""
    thread = source.thread
    opening = next((p for p in source.posts if p.is_opening), None)
    others = [p for p in source.posts if not p.is_opening]
    thread_url = reverse("practice:thread", args=[thread.community.slug, thread.pk])
    # The summary says what was learned: the answer's opening sentences, not the asker's
    # question (a question promoted without an answer keeps its title as the summary).
    summary_from = others[0] if others else (None if thread.is_question else opening)
    summary = _summary_text(summary_from.body) if summary_from else ""
    sections = [f"From the discussion [{thread.title}]({thread_url})."]
    if opening is not None:
        verb = "asked" if thread.is_question else "wrote"
        heading = "The question" if thread.is_question else "How it started"
        sections.append(
            f"## {heading}\n\n{display_name(opening.author)} {verb}:\n\n{_quote(opening.body)}"
        )
    for post in others:
        if post.pk == thread.accepted_post_id:
            heading, verb = "The accepted answer", "answered"
        elif post.is_answer:
            heading, verb = "An answer", "answered"
        else:
            heading, verb = "A reply", "replied"
        sections.append(
            f"## {heading}\n\n{display_name(post.author)} {verb}:\n\n{_quote(post.body)}"
        )
    return PromotionDraft(
        kind=DEFAULT_KIND.get(thread.kind, Item.Kind.METHOD),
        title=_shorten(thread.title, TITLE_MAX_LENGTH),
        summary=_shorten(summary or thread.title, SUMMARY_MAX_LENGTH),
        body="\n\n".join(sections) + "\n",
        tag_names=[t.name for t in thread.tags.all()][:MAX_TAGS],
    )


def item_promote(
    *,
    source: PromotionSource,
    by,
    kind: str,
    title: str,
    summary: str,
    body: str = "",
    tag_names=(),
    submission_key: str = "",
    at: datetime | None = None,
) -> Item:
    """Create a proposed item from *source* (at *at*, default now), crediting every author of
    the source posts."""
    target = source.post or source.thread
    permissions.require_can_promote(user=by, source=target)
    if not source.posts:
        raise ValidationError("There is nothing visible left to promote in this discussion.")
    extra = {"submission_key": submission_key} if submission_key else {}
    with transaction.atomic():
        return item_propose(
            community=source.community,
            by=by,
            kind=kind,
            title=title,
            summary=summary,
            body=body,
            tag_names=tuple(tag_names),
            source_thread=source.thread,
            source_post=source.post or _accepted(source),
            extra_contributors=[p.author for p in _unique_authors(source.posts)],
            promoted=True,
            at=at,
            **extra,
        )


def _accepted(source: PromotionSource) -> Post | None:
    """For a whole solved thread, the accepted answer is the post the item came from."""
    return next((p for p in source.posts if p.pk == source.thread.accepted_post_id), None)


def _unique_authors(posts: list[Post]) -> list[Post]:
    seen, out = set(), []
    for post in posts:
        if post.author_id not in seen:
            seen.add(post.author_id)
            out.append(post)
    return out
