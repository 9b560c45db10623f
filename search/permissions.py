"""What a reader may find in search, built on ``communities.permissions``.

The index holds only what every reader of a community may see (no hidden posts, published
items, active members); a reader searches the communities whose content they may read.
"""

from communities.permissions import readable_communities_q
from search.models import SearchEntry, SearchMatch


def searchable_entries(user):
    """Search entries *user* may find: those of the communities whose content they may read."""
    return SearchEntry.objects.filter(readable_communities_q(user, prefix="community__"))


def searchable_matches(user):
    """The match rows of the entries *user* may find (the same communities as
    ``searchable_entries``): what a search scans and ranks."""
    return SearchMatch.objects.filter(readable_communities_q(user, prefix="community__"))
