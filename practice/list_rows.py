"""The thread list's rows: each row's HTML, the same for every reader, rendered once and cached.

A row shows only facts about its thread: counts, kind, solved / locked / hidden, title, tags,
the author's name and the time of the last activity. Its cache key is a digest of exactly those
values, taken from the row the list's query loaded anyway (the template reads nothing else: it
is given the values, not the model), plus what every row of the page shares (the template's own
source, the addresses it links to, the time zone and language its dates and numbers are written
in). A rename, a new answer or reply, an accept, a vote, a lock, a hide or an author's new
display name changes the key, so no service has to remember to invalidate anything and a stale
row is never read; old entries simply expire.

Which rows a reader gets is still decided by the permission-filtered query: the cache holds
HTML for a (thread, state) pair, never a list. How long ago the thread was active depends on
the clock, so it is filled in per request.

The cache is Django's (Redis in production, process memory in the embedded default and in
tests): one ``get_many`` per page, one ``set_many`` for the rows it missed.
"""

from functools import lru_cache

from django.core.cache import cache
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from core.fragments import age, content_key, page_key_prefix
from practice.forms.threads import ThreadFilterForm
from practice.fragments import local_get_many, local_set_many

ROW_TEMPLATE = "practice/threads/_thread_row.html"
# The row template marks where the age goes with this character, which no stored text holds
# (PostgreSQL text cannot; the input middleware rejects it).
SEPARATOR = "\x00"
# Keys change with their content, so old entries are never read again; they only need to leave
# the cache eventually. A day keeps the first pages of active communities warm.
TIMEOUT = 24 * 60 * 60
# Rows as the list shows them: before the first, between two and after the last, the
# whitespace the list template's loop wrote, so the page's HTML is unchanged.
ROW_BEFORE, ROW_AFTER = "\n", "\n    "


def row_key(row: dict, *, prefix: str) -> str:
    """The cache key of *row*: its thread's id and a digest of every value the row shows."""
    return content_key("practice:thread-row", row["pk"], row.values(), prefix=prefix)


def thread_rows_html(rows: list[dict], *, thread_base: str, profile_base: str) -> SafeString:
    """The list items of *rows* (``practice.selectors.thread_list.thread_list_rows``), in order:
    cached rows, each with its age filled in.

    *thread_base* and *profile_base* are the address prefixes the rows append a thread id and a
    username to.
    """
    if not rows:
        return SafeString("")
    prefix = page_key_prefix(ROW_TEMPLATE, thread_base, profile_base)
    keys = [row_key(row, prefix=prefix) for row in rows]
    # This process's copies first (the key is a digest of the row: never stale), then the cache.
    found = local_get_many(keys)
    wanted = [key for key in keys if key not in found]
    if wanted:
        shared = cache.get_many(wanted)
        found.update(shared)
        local_set_many(shared, parts_count=2)
    missing = {}
    template = None
    html = []
    now = timezone.now()
    for key, row in zip(keys, rows, strict=True):
        parts = found.get(key)
        if not (isinstance(parts, tuple) and len(parts) == 2):
            template = template or get_template(ROW_TEMPLATE)
            rendered = template.render(
                {
                    "row": row,
                    "thread_base": thread_base,
                    "profile_base": profile_base,
                    "sep": SEPARATOR,
                }
            ).removesuffix("\n")  # the file's last newline; ROW_AFTER has the loop's
            head, sep, tail = rendered.partition(SEPARATOR)
            if not sep or SEPARATOR in tail:
                raise ValueError(f"{ROW_TEMPLATE} must mark the age exactly once")
            parts = missing[key] = (head, tail)
        html.append(ROW_BEFORE)
        html.append(parts[0])
        html.append(age(row["last_activity_at"], now))
        html.append(parts[1])
        html.append(ROW_AFTER)
    if missing:
        cache.set_many(missing, TIMEOUT)
        local_set_many(missing, parts_count=2)
    return SafeString("".join(html))


# --- the filter form -------------------------------------------------------------------------
FILTER_WIDGETS = ("kind", "tag", "sort")


@lru_cache(maxsize=256)
def _filter_widgets(values: tuple) -> tuple[SafeString, ...]:
    form = ThreadFilterForm(
        {n: v for n, v in zip(FILTER_WIDGETS, values, strict=True) if v is not None}
    )
    return tuple(SafeString(form[name]) for name in FILTER_WIDGETS)


def filter_widgets_html(form: ThreadFilterForm) -> dict[str, SafeString]:
    """The filter form's three widgets as HTML, rendered once per process for each set of values.

    A widget's HTML depends only on the submitted values (which option is selected, the tag
    typed, whether it is invalid), and Django's form renderer goes through a template per
    widget and per option: most links to the list carry no filter or the same few.
    """
    values = tuple(form.data.get(name) for name in FILTER_WIDGETS)
    return dict(zip(FILTER_WIDGETS, _filter_widgets(values), strict=True))


# --- addresses -------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _list_urls(slug: str, prefix: str, urlconf) -> dict[str, str]:
    return {
        "all": reverse("practice:thread_list", args=[slug]),
        "unanswered": reverse("practice:unanswered", args=[slug]),
        "new": reverse("practice:thread_new", args=[slug]),
        "feed": reverse("practice:feed", args=[slug]),
        # Row addresses are these prefixes + id or username: no reverse() per row.
        "thread_base": reverse("practice:thread", args=[slug, 0]).removesuffix("0/"),
        # The template appends the username with ``urlencode:"@+"``, which quotes as reverse().
        "profile_base": reverse("communities:profile", args=["-"]).removesuffix("-/"),
    }


def list_urls(slug: str) -> dict[str, str]:
    """The addresses the list page of community *slug* links to, reversed once per process
    (they change only with the URLconf and the script prefix, both part of the key)."""
    return dict(_list_urls(slug, get_script_prefix(), get_urlconf()))
