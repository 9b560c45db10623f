"""The search index: one row per searchable thing, kept in step by ``search.indexing``."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from communities.models import Community

# The text of an entry is the first part of its body only. PostgreSQL refuses a tsvector whose
# lexemes take more than 1 MB ("string is too long for tsvector"); 100,000 characters are at
# most 400 KB of UTF-8, so every body indexes without that error, however its words are made.
# The full body stays in its own table (posts, items); this is only what search reads.
TEXT_MAX_CHARS = 100_000


class SearchEntry(models.Model):
    """One searchable thing (a thread, a post, a repertoire item, or a member of a community),
    with the text search reads and, on PostgreSQL, its weighted vector (A title, B tags, C text).

    Only what readers of the community may see is indexed: no hidden threads or posts, only
    published items, only active members and only the parts of a profile shown to everyone.
    Which communities a reader may search is decided by ``search.permissions``.
    """

    class Kind(models.TextChoices):
        THREAD = "thread", "Thread"
        POST = "post", "Post"
        ITEM = "item", "Repertoire item"
        MEMBER = "member", "Member"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The thread's, post's or item's id; for members, the membership's id.
    object_id = models.PositiveBigIntegerField()
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(
        "practice.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The member, for member entries.",
    )
    # What a result shows as its heading. Posts show their thread's title but are not found by
    # it (the thread is), so a word in a title does not bring up every reply of the thread.
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    # "|tag one|tag two|": whole-tag filtering with one LIKE on both databases.
    tag_names = models.TextField(blank=True)
    item_kind = models.CharField(max_length=16, blank=True)
    # Questions and their posts: solved or not. None for everything else.
    is_solved = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    indexed_at = models.DateTimeField(auto_now=True)
    # PostgreSQL only (NULL on SQLite); its GIN index is made by migration 0002 on PostgreSQL.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name_plural = "search entries"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="one_search_entry")
        ]
        indexes = [
            models.Index(fields=["community", "kind"]),
            models.Index(fields=["-updated_at"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}: {self.title}"

    @property
    def tags(self) -> list[str]:
        return [t for t in self.tag_names.split("|") if t]


class SearchMatch(models.Model):
    """The narrow part of a search entry: what a search reads to match, filter and rank it.

    One row per ``SearchEntry`` (same id), written with it by ``search.indexing``. It holds the
    community (whose readers may find it: ``search.permissions``), the filter columns, the
    recency the ranking falls back on and, on PostgreSQL, the weighted vector with its own GIN
    index (migration 0004). A search scans these rows only, about a third of the entry table's
    size (no text, title or dates it does not sort on), ranks them in SQL, and then reads the
    page's entries alone.
    """

    entry = models.OneToOneField(
        SearchEntry, primary_key=True, on_delete=models.CASCADE, related_name="match"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=SearchEntry.Kind.choices)
    item_kind = models.CharField(max_length=16, blank=True)
    is_solved = models.BooleanField(null=True, blank=True)
    tag_names = models.TextField(blank=True)
    updated_at = models.DateTimeField()
    # PostgreSQL only (NULL on SQLite), a copy of the entry's vector.
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name_plural = "search matches"
        indexes = [
            models.Index(fields=["-updated_at", "-entry"], name="search_match_recent"),
            models.Index(fields=["community", "kind"], name="search_match_community_kind"),
        ]

    def __str__(self):
        return f"match {self.entry_id}"
