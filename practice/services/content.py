"""Render and validate user-written text for threads and posts."""

from django.core.exceptions import ValidationError

from core.markdown import render_markdown
from practice.mentions import link_mentions
from practice.models.threads import BODY_MAX_LENGTH, TITLE_MAX_LENGTH


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Give your thread a title."})
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError({"title": f"Keep the title under {TITLE_MAX_LENGTH} characters."})
    return title


def clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            {"body": f"That is {len(body):,} characters; the limit is {BODY_MAX_LENGTH:,}."}
        )
    return body


def render_body(body: str) -> tuple[str, list]:
    """Return sanitized HTML for *body* with @mentions linked, and the mentioned users."""
    return link_mentions(render_markdown(body))


def clean_tags(tags) -> list[str]:
    cleaned = []
    for tag in tags or []:
        tag = " ".join(str(tag).split()).lower()[:50]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > 5:
        raise ValidationError({"tags": "Use at most five tags."})
    return cleaned
