"""The thread page's posts: each post's viewer-independent HTML, rendered once and cached.

A post's fragment is what every reader sees the same: its box, the accepted mark, the "in reply
to" line, the body, the author and dates, the "worked for" counts. Its cache key is a digest of
everything the fragment shows (the body's HTML, names, the author's picture or initials, flags,
counts, dates, the addresses it links to, the fragment template itself), taken from the rows the
selector loaded anyway: an edit, a hide or restore, an accept, a report, a rename, a new picture
changes the key, so no service has to remember to invalidate anything and a stale fragment is
never read. What differs per reader
(votes, buttons, "you said this worked", the moderators' hidden note) is rendered around the
fragment from the page's capabilities; how long ago a post was written is filled in per request.

The cache is Django's (Redis in production, process memory in the embedded default and in
tests): one ``get_many`` per page, one ``set_many`` for the posts it missed.
"""

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template import RequestContext
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from core.fragments import age, content_key, page_key_prefix
from practice import capabilities
from practice.selectors import threads as thread_selectors

FRAGMENT_TEMPLATE = "practice/threads/_post_fragment.html"
# The fragment template marks where the reader's own parts go with this character, which no
# stored text contains (PostgreSQL text cannot hold it; the input middleware rejects it).
SEPARATOR = "\x00"
PARTS = 4
# Keys change with their content, so old entries are never read again; they only need to leave
# the cache eventually. A day keeps the posts of active threads warm.
TIMEOUT = 24 * 60 * 60


# A fragment never changes under its key (the key is a digest of what it shows), so each process
# also keeps the ones it used last: most pages then need no round trip to Redis and no
# unpickling. The thread list's rows (practice.list_rows) are kept here too. About 4,000
# fragments of one to a few kilobytes: a few megabytes per process.
LOCAL_ENTRIES = 4000
_local: OrderedDict = OrderedDict()
_local_lock = threading.Lock()
# Anonymous readers' whole post lists (posts_html), about 60 kB per page of 30 posts: a few
# hundred pages keep the hot threads of a process.
REGION_ENTRIES = 256
_regions: OrderedDict = OrderedDict()


def forget_local_fragments() -> None:
    """Empty this process's copy (tests that count renders start from nothing)."""
    with _local_lock:
        _local.clear()
        _regions.clear()


def local_get_many(keys) -> dict:
    """This process's copies of the fragments under *keys* (content keys only)."""
    found = {}
    with _local_lock:
        for key in keys:
            parts = _local.get(key)
            if parts is not None:
                _local.move_to_end(key)
                found[key] = parts
    return found


def local_set_many(values: dict, *, parts_count: int = PARTS) -> None:
    """Keep *values* (content keys to tuples of *parts_count* parts) in this process."""
    with _local_lock:
        for key, parts in values.items():
            if isinstance(parts, tuple) and len(parts) == parts_count:
                _local[key] = parts
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def _fields(item) -> tuple:
    """Everything the fragment of *item* shows, in a fixed order."""
    post = item.post
    return (
        item.pid,
        item.css_class,
        item.is_accepted,
        item.verb,
        item.author_name,
        item.author_username,
        post.author_id,  # the initials' colour
        item.author_avatar,  # a new picture is a new key
        post.created_at.isoformat(),
        post.edited_at.isoformat() if post.edited_at else "",
        post.reply_to_id or "",
        item.reply_to_name,
        item.reply_to_here,
        post.worked_count,
        post.did_not_work_count,
        post.body_html,
    )


def fragment_key(item, *, prefix: str) -> str:
    return content_key("practice:post", item.pid, _fields(item), prefix=prefix)


def fill_post_fragments(items, *, post_base: str, profile_base: str) -> None:
    """Give every item its fragment (``item.parts``) and its age, from the cache or rendered."""
    if not items:
        return
    # What every fragment of the page depends on besides the post: the addresses it links to,
    # the template, the time zone and language its dates are written in.
    prefix = page_key_prefix(FRAGMENT_TEMPLATE, post_base, profile_base)
    keys = {fragment_key(item, prefix=prefix): item for item in items}
    found = local_get_many(keys)
    wanted = [key for key in keys if key not in found]
    if wanted:
        shared = cache.get_many(wanted)
        found.update(shared)
        local_set_many(shared)
    missing = {}
    template = None
    for key, item in keys.items():
        parts = found.get(key)
        if not (isinstance(parts, tuple) and len(parts) == PARTS):
            template = template or get_template(FRAGMENT_TEMPLATE)
            html = template.render(
                {
                    "item": item,
                    "p": item.post,
                    "pid": item.pid,
                    "post_base": post_base,
                    "profile_base": profile_base,
                    "sep": SEPARATOR,
                }
            )
            parts = tuple(html.split(SEPARATOR))
            if len(parts) != PARTS:
                raise ValueError(f"{FRAGMENT_TEMPLATE} must have {PARTS} parts")
            missing[key] = parts
        item.parts = tuple(SafeString(part) for part in parts)
    if missing:
        cache.set_many(missing, TIMEOUT)
        local_set_many(missing)
    now = timezone.now()
    for item in items:
        item.age = age(item.post.created_at, now)


# --- the reader's own parts --------------------------------------------------------------------
# Written here rather than in a template: a template spent about 20 variable lookups and a dozen
# {% if %} per post on them, more than the rest of the page (bench/thread_pages.py). The markup
# is that of the page before the fragments were cached; tests/practice/test_thread_fragments.py
# checks each reader's controls.


def _vote(item, pid: str, base: str) -> str:
    count = item.post.helpful_count
    if not item.rights.can_vote:
        return (
            f'<p class="vote-static"><span class="vote-count">{count}</span>'
            '<span class="vote-label">helpful</span></p>'
        )
    if item.voted:
        button = (
            f'<button type="submit" form="post-form-{pid}" formaction="{base}{pid}/vote/" '
            'name="helpful" value="0" class="vote-button is-voted" aria-pressed="true" '
            'title="Take back your helpful vote">'
        )
    else:
        button = (
            f'<button type="submit" form="post-form-{pid}" formaction="{base}{pid}/vote/" '
            'name="helpful" value="1" class="vote-button" aria-pressed="false" '
            'title="Mark as helpful">'
        )
    return (
        f'{button}\n        <span aria-hidden="true">▲</span><span class="vote-count">{count}'
        '</span><span class="vote-label">helpful</span>\n      </button>'
    )


def _hidden_note(post, now) -> str:
    if not post.is_hidden:
        return ""
    since = f" {timesince(post.hidden_at, now)} ago" if post.hidden_at else ""
    return f'<p class="hidden-note">Hidden{since}. Only moderators see it.</p>'


def _adoption(item, pid: str, base: str, csrf: str) -> str:
    report = item.adoption
    if report is not None:
        said = "worked" if report.worked else "didn't work"
        note = f": “{escape(report.note)}”" if report.note else ""
        return (
            '\n    <p class="adoption-mine">'
            f"\n      <span>You said this {said} for you{note}.</span>"
            f'\n      <button type="submit" form="post-form-{pid}" '
            f'formaction="{base}{pid}/adoption/" name="withdraw" value="1" '
            'class="link-button">Take it back</button>\n    </p>'
        )
    if not item.rights.can_report:
        return ""
    # "Worked for me" is the button beside the vote (_worked); this form carries it (the button
    # names the form by its id), and "didn't work" and the optional note are one click further.
    return (
        f'\n    <form method="post" action="{base}{pid}/adoption/" class="adoption-form" '
        f'id="adoption-{pid}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">\n      <details>'
        "\n        <summary>Didn't work? Add a note</summary>"
        f'\n        <label for="note-{pid}">A short note <span class="optional">(optional)</span>'
        f'</label>\n        <input type="text" name="note" id="note-{pid}" maxlength="500">'
        '\n        <div class="button-row">\n          <button type="submit" name="worked" '
        'value="yes" class="button button-small">This worked for me</button>\n          '
        '<button type="submit" name="worked" value="no" class="button button-small '
        "button-secondary\">Didn't work</button>\n        </div>\n      </details>\n    </form>"
    )


def _worked(item, pid: str) -> str:
    """The visible "Worked for me" button under the vote, for readers who may report and have
    not yet: it submits the post's adoption form (``_adoption``), CSRF token and all."""
    if item.adoption is not None or not item.rights.can_report:
        return ""
    return (
        f'\n    <button type="submit" form="adoption-{pid}" name="worked" value="yes" '
        'class="worked-button" title="Tried it: this worked for me">'
        '<span aria-hidden="true">✓</span> Worked for me</button>'
    )


def _actions(item, pid: str, base: str, quote_prefix: str, unaccept_url: str) -> str:
    rights, actions = item.rights, []
    if rights.can_quote:
        actions.append(f'<a href="{quote_prefix}reply_to={pid}#reply">Quote and reply</a>')
    if rights.can_accept and not item.is_accepted:
        actions.append(
            f'<button type="submit" form="post-form-{pid}" formaction="{base}{pid}/accept/" '
            'class="link-button">Accept this answer</button>'
        )
    if rights.can_unaccept:
        actions.append(
            f'<button type="submit" form="post-form-{pid}" formaction="{unaccept_url}" '
            'class="link-button">Unaccept</button>'
        )
    if rights.can_flag:
        actions.append(f'<a class="flag-link" href="{base}{pid}/flag/">Flag</a>')
    if rights.can_edit:
        actions.append(f'<a href="{base}{pid}/edit/">Edit</a>')
    if rights.can_hide:
        label = "Hide thread" if item.post.is_opening else "Hide"
        actions.append(f'<a class="danger" href="{base}{pid}/hide/">{label}</a>')
    if rights.can_restore:
        actions.append(
            f'<button type="submit" form="post-form-{pid}" formaction="{base}{pid}/restore/" '
            'class="link-button">Restore</button>'
        )
    return "\n      ".join(actions)


def post_tools(template_names, *, request, context: dict) -> list:
    """Renderers of the panels' ``post_tools`` templates: each takes a post's item and returns
    its HTML, with *context* (the page's) plus ``p``, ``pid`` and ``item``."""
    if not template_names:
        return []
    page_context = RequestContext(request, context)
    renderers = []
    for name in template_names:
        template = get_template(name).template

        def render(item, template=template) -> str:
            with page_context.push(p=item.post, pid=item.pid, item=item):
                return template.render(page_context)

        renderers.append(render)
    return renderers


def render_posts(items, *, request, page, post_base: str, unaccept_url: str, tools) -> SafeString:
    """The HTML of *items* for this reader: each post's cached fragment around their controls
    (*tools*: from ``post_tools``)."""
    if not items:
        return SafeString("")
    base = escape(post_base)
    csrf = ""
    if any(item.has_form or item.rights.can_report for item in items):
        csrf = escape(get_token(request))  # one token per page, as {% csrf_token %} gives
    quote_prefix = f"?page={page.number}&amp;" if page.number > 1 else "?"
    unaccept = escape(unaccept_url)
    now = timezone.now()
    out = []
    for item in items:
        pid, parts = item.pid, item.parts
        tools_html = "".join(tool(item) for tool in tools)
        form = (
            f'<form id="post-form-{pid}" method="post" action="{base}{pid}/vote/">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}"></form>'
            if item.has_form
            else ""
        )
        out.append(
            f"{parts[0]}\n    {_vote(item, pid, base)}{_worked(item, pid)}{parts[1]}"
            f"{_hidden_note(item.post, now)}"
            f"{parts[2]}{item.age}{parts[3]}{_adoption(item, pid, base, csrf)}"
            '\n    <div class="post-actions">\n      '
            f"{_actions(item, pid, base, quote_prefix, unaccept)}{tools_html}"
            f"\n    </div>\n  </div>\n  {form}\n</article>\n"
        )
    return SafeString("".join(out))


# --- an anonymous reader's whole post list ------------------------------------------------------
# Anonymous readers all see the same posts with the same (no) controls, so the post list of a
# page is kept whole for them: one entry keyed by a digest of every value of the page's rows (as
# the page query returns them: bodies, names, pictures, counts, flags, dates), the thread's
# accepted answer, the page, the addresses, the fragment template and the code that writes the
# markup (this module, the selector that decides each post's classes and names, the rights an
# anonymous reader gets). Any change a page shows is a new key, as for one post's fragment; only
# the ages are filled in per request.
# Readers with an account keep the per-post path (their controls differ per post).

_CODE_DIGEST = hashlib.blake2b(
    b"".join(
        Path(path).read_bytes()
        for path in (__file__, thread_selectors.__file__, capabilities.__file__)
    ),
    digest_size=6,
).hexdigest()


def _region_key(page, *, post_base: str, profile_base: str, unaccept_url: str) -> str:
    prefix = page_key_prefix(
        FRAGMENT_TEMPLATE, post_base, profile_base, unaccept_url, _CODE_DIGEST, "anonymous"
    )
    thread = page.thread
    values = (page.number, page.num_pages, thread.accepted_post_id, page.rows.rows)
    return content_key("practice:posts", f"{thread.pk}:{page.number}", values, prefix=prefix)


def _region_parts(value, counts: tuple[int, int]):
    """*value* if it is a cached post list for a page of *counts* (opening, other) posts."""
    if not (isinstance(value, tuple) and len(value) == 2):
        return None
    if any(not isinstance(p, tuple) or len(p) != n + 1 for p, n in zip(value, counts, strict=True)):
        return None
    return value


def _with_ages(parts: tuple, ages: list[str]) -> SafeString:
    out = [parts[0]]
    for text, part in zip(ages, parts[1:], strict=True):
        out.append(text)
        out.append(part)
    return SafeString("".join(out))


def _whole_list_cached(page, tools) -> bool:
    """Is *page*'s post list the same for every reader who gets it (an anonymous reader, no
    per-post tools from the panels)?"""
    return not tools and page.capabilities is not None and not page.capabilities.is_authenticated


def posts_html(page, *, request, post_base: str, profile_base: str, unaccept_url: str, tools):
    """The HTML of the opening post and of the other posts of *page* (a ``ThreadPage``) for this
    reader: an anonymous reader's from one cached entry for the whole list when the panels add no
    per-post tools, anyone else's from the posts' fragments and their own controls."""
    options = {
        "request": request,
        "page": page,
        "post_base": post_base,
        "unaccept_url": unaccept_url,
        "tools": tools,
    }
    if not _whole_list_cached(page, tools):
        fill_post_fragments(
            page.opening_items + page.posts, post_base=post_base, profile_base=profile_base
        )
        return render_posts(page.opening_items, **options), render_posts(page.posts, **options)
    rows = page.rows.rows
    has_opening = bool(rows) and bool(rows[0][page.rows.column("is_opening")])
    counts = (int(has_opening), len(rows) - int(has_opening))
    key = _region_key(
        page, post_base=post_base, profile_base=profile_base, unaccept_url=unaccept_url
    )
    with _local_lock:
        parts = _region_parts(_regions.get(key), counts)
        if parts is not None:
            _regions.move_to_end(key)
    if parts is None:
        parts = _region_parts(cache.get(key), counts)
        if parts is None:
            items = page.opening_items + page.posts
            fill_post_fragments(items, post_base=post_base, profile_base=profile_base)
            for item in items:
                item.age = SEPARATOR  # where each post's age goes, filled in per request
            parts = tuple(
                tuple(render_posts(part, **options).split(SEPARATOR))
                for part in (page.opening_items, page.posts)
            )
            cache.set(key, parts, TIMEOUT)
        with _local_lock:
            _regions[key] = parts
            while len(_regions) > REGION_ENTRIES:
                _regions.popitem(last=False)
    now, language = timezone.now(), translation.get_language() or ""
    created = page.rows.column("created_at")
    ages = [age(row[created], now, language=language) for row in rows]
    return _with_ages(parts[0], ages[: counts[0]]), _with_ages(parts[1], ages[counts[0] :])
