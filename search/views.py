from django.shortcuts import render

from core.pagination import paginate, querystring_without_page
from search import selectors
from search.forms import SearchForm


def search_view(request):
    """One search across threads, posts, repertoire items and members, where the reader may read."""
    form = SearchForm(request.GET or None, user=request.user)
    context = {"form": form, "searched": False}
    if form.is_bound and form.is_valid():
        outcome = selectors.search(
            user=request.user, q=form.cleaned_data["q"], filters=form.filters()
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
