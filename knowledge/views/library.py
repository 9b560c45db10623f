"""The library (published items by kind, tag, featured, most used, recently changed) and a
member's own proposals. Views are thin: the gatekeeper, one selector or service, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from communities import permissions as community_permissions
from core.pagination import paginate, querystring_without_page
from knowledge import permissions
from knowledge.forms.items import LibraryFilterForm
from knowledge.models import Item
from knowledge.selectors import library as selectors

# Featured items shown above the unfiltered library's first page.
FEATURED_SHOWN = 3
# Change proposals listed on "my proposals" (newest first).
MY_CHANGES_SHOWN = 50


def library_context(request, community, **extra) -> dict:
    """The community header's context for every library page."""
    return {
        "community": community,
        "can_view": True,
        "can_moderate": community_permissions.can_moderate(request.user, community),
        "active_tab": "library",
        **extra,
    }


def item_base(slug: str) -> str:
    """The prefix of item addresses: one reverse() per page, the rows append ``<id>/``."""
    return reverse("knowledge:item", args=[slug, 0]).removesuffix("0/")


def library_view(request, slug):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    form = LibraryFilterForm(request.GET)
    filters = form.filters()
    page = paginate(
        request, selectors.library_items(user=request.user, community=community, **filters)
    )
    page.object_list = selectors.attach_tags(list(page.object_list))
    can_curate = permissions.can_curate(request.user, community)
    is_filtered = any(filters[name] for name in ("kind", "tag", "featured", "state"))
    featured = []
    if not is_filtered and page.number == 1:
        featured = selectors.attach_tags(
            list(
                selectors.library_items(user=request.user, community=community, featured=True)[
                    :FEATURED_SHOWN
                ]
            )
        )
    kind_counts = selectors.library_kind_counts(community=community)
    context = library_context(
        request,
        community,
        form=form,
        filters=filters,
        page=page,
        qs=querystring_without_page(request),
        is_filtered=is_filtered,
        featured=featured,
        kinds=[(kind, label, kind_counts.get(kind, 0)) for kind, label in Item.Kind.choices],
        library_total=sum(kind_counts.values()),
        tags=selectors.library_tags(community=community),
        can_propose=permissions.can_propose_item(request.user, community),
        can_join=community_permissions.can_join(request.user, community),
        can_request=community_permissions.can_request(request.user, community),
        can_curate=can_curate,
        curation=selectors.curation_counts(community=community) if can_curate else None,
        item_base=item_base(slug),
    )
    return render(request, "knowledge/library.html", context)


@login_required
def my_proposals_view(request, slug):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    page = paginate(request, selectors.my_proposals(user=request.user, community=community))
    page.object_list = selectors.attach_change_requests(list(page.object_list))
    changes = list(
        selectors.my_change_proposals(user=request.user, community=community)[:MY_CHANGES_SHOWN]
    )
    context = library_context(
        request,
        community,
        page=page,
        changes=changes,
        can_propose=permissions.can_propose_item(request.user, community),
        item_base=item_base(slug),
    )
    return render(request, "knowledge/mine.html", context)
