"""Pagination that never fails on a bad ?page= value."""

from django.conf import settings
from django.core.paginator import Page, Paginator


def paginate(request, queryset, per_page: int | None = None) -> Page:
    """Return the requested page; junk, negative or huge numbers fall back to a real page."""
    paginator = Paginator(queryset, per_page or settings.PRACTICA_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    """Return the current query string minus ``page``, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
