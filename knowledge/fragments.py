"""The experts page's tag sections, rendered once for what they show and kept in Django's cache.

A tag's section (its name, question counts and top experts with their points) is the same for
every reader but for the "Says so too" badge, which depends on whose profile details the reader
may see. The section is cached under a digest of everything it shows (``core.fragments``): a
new score, a rename, a member leaving the top list all make a new key, so nothing has to be
invalidated and a stale section is never read. The badge is filled in per request between the
cached parts. Rendering these sections was most of the page's time (60 tags of 5 names each at
100,000 posts: bench/experts.py).
"""

import threading
from collections import OrderedDict

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

# A page's sections never change under their key, so each process keeps the last ones it used
# (all of a page's sections under one digest of every section's values): a page read again needs
# no round trip to the shared cache, no unpickling of 60 sections and no key per section. About
# 100 kB per page of 60 tags.
LOCAL_PAGES = 64
_local: OrderedDict = OrderedDict()
_local_lock = threading.Lock()


def forget_local_sections() -> None:
    """Empty this process's copy of the sections (tests that count renders start from nothing)."""
    with _local_lock:
        _local.clear()


def _fields(index: int, tag, *, linked: bool, names: dict) -> tuple:
    """Everything the section of *tag* shows, in a fixed order (*names*: the experts' shown
    names by user id, filled as they are met: a page lists the same few people many times)."""
    experts = []
    for e in tag.experts:
        name = names.get(e.user_id)
        if name is None:
            name = names[e.user_id] = e.name
        experts.append((e.user_id, e.user.username, name, e.accepted, e.helpful, e.items, e.edits))
    return (
        index,
        linked,
        tag.name,
        tag.questions,
        tag.unanswered,
        tag.expert_count,
        tuple(experts),
    )


def _valid(parts, tag) -> bool:
    return isinstance(parts, tuple) and len(parts) == len(tag.experts) + 2


def _with_badges(parts: tuple, tag) -> SafeString:
    badge, first, *rest = parts
    pieces = [first]
    for expert, part in zip(tag.experts, rest, strict=True):
        if expert.declared:
            pieces.append(badge)
        pieces.append(part)
    return SafeString("".join(pieces))


def _sections_parts(page, *, community, fields: list, prefix: str, list_url: str, linked: bool):
    """Each shown tag's section split at its badges: from the shared cache or rendered."""
    keys = [
        content_key("knowledge:experts-tag", f"{community.pk}:{index}", values, prefix=prefix)
        for index, values in enumerate(fields, 1)
    ]
    found = cache.get_many(keys)
    missing = {}
    template = None
    sections = []
    for index, (key, tag) in enumerate(zip(keys, page.tags, strict=True), 1):
        parts = found.get(key)
        if not _valid(parts, tag):
            template = template or get_template(SECTION_TEMPLATE)
            html = template.render(
                {"t": tag, "index": index, "linked": linked, "list_url": list_url, "sep": SEPARATOR}
            )
            parts = tuple(html.split(SEPARATOR))
            if not _valid(parts, tag):
                raise ValueError(f"{SECTION_TEMPLATE} must mark each expert's badge once")
            missing[key] = parts
        sections.append(parts)
    if missing:
        cache.set_many(missing, TIMEOUT)
    return tuple(sections)


def tag_sections(page, *, community) -> list[SafeString]:
    """The HTML of each tag section of *page* (an ``ExpertsPage``), badges filled in for the
    reader the page was selected for: this process's copy of the page's sections, else one
    cache round trip, the misses rendered."""
    if not page.tags:
        return []
    list_url = reverse("practice:thread_list", args=[community.slug])
    profile_base = reverse("communities:profile", args=["-"])
    prefix = page_key_prefix(SECTION_TEMPLATE, list_url, profile_base)
    linked = page.selected is None
    names: dict = {}
    fields = [
        _fields(index, tag, linked=linked, names=names) for index, tag in enumerate(page.tags, 1)
    ]
    page_key = content_key("knowledge:experts-page", community.pk, fields, prefix=prefix)
    with _local_lock:
        sections = _local.get(page_key)
        if sections is not None:
            _local.move_to_end(page_key)
    if not (
        isinstance(sections, tuple)
        and len(sections) == len(page.tags)
        and all(_valid(parts, tag) for parts, tag in zip(sections, page.tags, strict=True))
    ):
        sections = _sections_parts(
            page,
            community=community,
            fields=fields,
            prefix=prefix,
            list_url=list_url,
            linked=linked,
        )
        with _local_lock:
            _local[page_key] = sections
            while len(_local) > LOCAL_PAGES:
                _local.popitem(last=False)
    return [_with_badges(parts, tag) for parts, tag in zip(sections, page.tags, strict=True)]
