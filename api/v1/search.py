"""Search through the API: the search page's form, selector and permission filter
(``search.permissions.searchable_entries``), so it finds only what the caller may read."""

from django.http import HttpRequest
from ninja import Query, Router

from api.v1 import schemas
from api.v1.common import READ, Limit, Text, caller_for, errors
from api.v1.errors import BadRequest
from api.v1.pagination import DEFAULT_LIMIT, offset_cursor, offset_from
from search import selectors
from search.forms import SearchForm

router = Router(tags=["search"])


@router.get(
    "/search",
    response={200: schemas.SearchPage, **errors(400, 401, 403, 429)},
    summary="Search threads, posts, repertoire items and members",
    description=(
        "As the search page: best matches first (the most recent 500 matches are ranked). "
        "The cursor is a position in this ranking, which a new match may shift."
    ),
)
def search(
    request: HttpRequest,
    q: Text = Query("", max_length=200),
    community: Text = Query("", max_length=80, description="A community's slug."),
    kind: Text = Query("", max_length=40),
    tag: Text = Query("", max_length=50),
    solved: Text = Query("", max_length=3, description="yes, no, or empty for any."),
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    form = SearchForm(
        {"q": q, "community": community, "kind": kind, "tag": tag, "solved": solved},
        user=caller.user,
    )
    if not form.is_valid():
        fields = {name: list(messages) for name, messages in form.errors.items()}
        raise BadRequest("invalid", "Some search filters are invalid.", fields)
    offset = offset_from(cursor, "search")
    # The rows this page reads (one more tells whether there is a next page) are read with the
    # ranking itself, whatever the cursor's position.
    rows = slice(offset, offset + limit + 1)
    outcome = selectors.search(
        user=caller.user, q=form.cleaned_data["q"], filters=form.filters(), rows=rows
    )
    if outcome.entries is None:
        return {"items": [], "next_cursor": None, "message": outcome.message}
    entries = list(outcome.paginatable()[rows])
    more = len(entries) > limit
    hits = selectors.hits(entries[:limit], outcome)
    items = [
        {
            "kind": hit.kind,
            "title": hit.title,
            "community": entry.community.slug,
            "url": hit.url,
            "snippet_html": str(hit.snippet),
            "updated_at": hit.updated_at,
        }
        for hit, entry in zip(hits, entries[:limit], strict=True)
    ]
    return {
        "items": items,
        "next_cursor": offset_cursor("search", offset + limit) if more else None,
        "message": outcome.message,
    }
