"""What a reader may find in search, built on ``communities.permissions``.

The index holds only what every reader of a community may see (no hidden posts, published
items, active members); a reader searches the communities whose content they may read.
"""

from communities.permissions import readable_communities_named, readable_communities_q
from search.models import SearchEntry, SearchMatch

# Where searchable_communities keeps its answer on the user object (as Django's ModelBackend
# keeps a user's permissions in _perm_cache).
_CACHE = "_searchable_communities"


def searchable_entries(user):
    """Search entries *user* may find: those of the communities whose content they may read."""
    return SearchEntry.objects.filter(readable_communities_q(user, prefix="community__"))


def searchable_matches(user):
    """The match rows of the entries *user* may find (the same communities as
    ``searchable_entries``): what a search scans and ranks."""
    return SearchMatch.objects.filter(readable_communities_q(user, prefix="community__"))


def searchable_communities(user) -> dict:
    """The communities whose content *user* may read, by slug (pk, slug and name loaded, in
    one plain query): the search form's choices and, by their ids, where a search looks.

    Read once per user object, that is once per request (each request loads its user anew),
    so the form and the search share one query, and a membership or visibility change counts
    from the next request on.
    """
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = {c.slug: c for c in readable_communities_named(user)}
        setattr(user, _CACHE, cached)
    return cached
