"""The experts page's tag sections, rendered once for what they show and kept in Django's cache.

A tag's section (its name, question counts and top experts with their points) is the same for
every reader but for the "Says so too" badge, which depends on whose profile details the reader
may see. The section is cached under a digest of everything it shows (``core.fragments``): a
new score, a rename, a member leaving the top list all make a new key, so nothing has to be
invalidated and a stale section is never read. The badge is filled in per request between the
cached parts. Rendering these sections was most of the page's time (60 tags of 5 names each at
100,000 posts: bench/experts.py).
"""

from django.core.cache import cache
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString

from core.fragments import content_key, page_key_prefix

SECTION_TEMPLATE = "knowledge/_experts_tag.html"
# The template marks where the badge goes with this character, which no stored text contains
# (PostgreSQL text cannot hold it; the input middleware rejects it).
SEPARATOR = "\x00"
# Keys change with their content: old entries are never read again and only need to expire.
TIMEOUT = 24 * 60 * 60


def _fields(index: int, tag, *, linked: bool) -> tuple:
    """Everything the section of *tag* shows, in a fixed order."""
    return (
        index,
        linked,
        tag.name,
        tag.questions,
        tag.unanswered,
        tag.expert_count,
        tuple(
            (e.user_id, e.user.username, e.name, e.accepted, e.helpful, e.items, e.edits)
            for e in tag.experts
        ),
    )


def tag_sections(page, *, community) -> list[SafeString]:
    """The HTML of each tag section of *page* (an ``ExpertsPage``), badges filled in for the
    reader the page was selected for: one cache round trip, the misses rendered."""
    if not page.tags:
        return []
    list_url = reverse("practice:thread_list", args=[community.slug])
    profile_base = reverse("communities:profile", args=["-"])
    prefix = page_key_prefix(SECTION_TEMPLATE, list_url, profile_base)
    linked = page.selected is None
    keys = [
        content_key(
            "knowledge:experts-tag",
            f"{community.pk}:{index}",
            _fields(index, tag, linked=linked),
            prefix=prefix,
        )
        for index, tag in enumerate(page.tags, 1)
    ]
    found = cache.get_many(keys)
    missing = {}
    template = None
    sections = []
    for index, (key, tag) in enumerate(zip(keys, page.tags, strict=True), 1):
        parts = found.get(key)
        if not (isinstance(parts, tuple) and len(parts) == len(tag.experts) + 2):
            template = template or get_template(SECTION_TEMPLATE)
            html = template.render(
                {"t": tag, "index": index, "linked": linked, "list_url": list_url, "sep": SEPARATOR}
            )
            parts = tuple(html.split(SEPARATOR))
            if len(parts) != len(tag.experts) + 2:
                raise ValueError(f"{SECTION_TEMPLATE} must mark each expert's badge once")
            missing[key] = parts
        badge, first, *rest = parts
        pieces = [first]
        for expert, part in zip(tag.experts, rest, strict=True):
            if expert.declared:
                pieces.append(badge)
            pieces.append(part)
        sections.append(SafeString("".join(pieces)))
    if missing:
        cache.set_many(missing, TIMEOUT)
    return sections
