from django.shortcuts import render
from django.views.decorators.http import require_GET

from communities import permissions as community_permissions
from core.pagination import paginate, querystring_without_page
from search import selectors
from search.forms import SearchForm


def search_view(request):
    """One search across threads, posts, repertoire items and members, where the reader may read."""
    form = SearchForm(request.GET or None, user=request.user)
    context = {"form": form, "searched": False}
    if form.is_bound and form.is_valid():
        outcome = selectors.search(
            user=request.user,
            q=form.cleaned_data["q"],
            filters=form.filters(),
            page=request.GET.get("page"),
        )
        context.update(outcome=outcome, message=outcome.message, notices=outcome.notices)
        if outcome.entries is not None:
            page = paginate(request, outcome.paginatable())
            context.update(
                searched=True,
                page=page,
                groups=selectors.group_by_kind(selectors.hits(page.object_list, outcome)),
                qs=querystring_without_page(request),
            )
    return render(request, "search/search.html", context)


@require_GET
def similar_threads_view(request, slug):
    """An HTML fragment for the new-thread form: threads like the title being typed (empty when
    there are none); static/js/similar.js asks for it as the member types."""
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    threads = selectors.similar_threads(
        user=request.user, community=community, title=request.GET.get("title", "")
    )
    response = render(request, "search/_similar_threads.html", {"threads": threads})
    response["Cache-Control"] = "private, no-cache"
    return response
