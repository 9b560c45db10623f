"""Who knows what: experts per tag, derived from what members did rather than what they claim.

A member's score on a tag adds up, over visible threads and published items with that tag:

- ``ACCEPTED_POINTS`` for each of their answers accepted as the solution (not on their own
  question);
- ``HELPFUL_POINTS`` for each helpful vote their answers received, at most
  ``HELPFUL_CAP_PER_ANSWER`` per answer (one popular answer should not outweigh steady help);
- ``ITEM_POINTS`` for each published repertoire item they wrote or that came from their posts,
  and ``EDIT_POINTS`` for each one they edited.

A member with at least ``EXPERT_MIN_SCORE`` on a tag is one of its experts (one accepted answer
is enough). Only active members of the community are listed; self-declared expertise is shown
next to the name (to viewers who may see the member's details) but never adds points. Every
function here works in a fixed number of queries, whatever the size of the community. The page
reads the scores stored per community, tag and member (``TagExpertScore``, kept up to date by
``knowledge.services.experts``), and so do the likely answerers of a thread;
``community_experts_aggregate`` and ``likely_answerers_aggregate`` work them out from the rows
with SQL aggregates, the reference the tests and ``experts_fill --check`` compare with.
"""

import hashlib
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Least
from taggit.models import Tag as ProfileTag
from taggit.models import TaggedItem as ProfileTaggedItem

from communities import permissions
from communities.models import Community, Membership, Profile, display_name
from knowledge.models import (
    ExpertRankingChange,
    ExpertRankingVersion,
    Item,
    ItemContributor,
    TagExpertScore,
    TagUse,
)
from practice.models import Post, Thread

User = get_user_model()

ACCEPTED_POINTS = 3
HELPFUL_POINTS = 1
HELPFUL_CAP_PER_ANSWER = 5
ITEM_POINTS = 2
EDIT_POINTS = 1
EXPERT_MIN_SCORE = 3
EXPERTS_PER_TAG = 5
EXPERTS_FOR_ONE_TAG = 20
LIKELY_ANSWERERS = 5


@dataclass
class ExpertScore:
    user_id: int
    accepted: int = 0
    helpful: int = 0  # helpful votes counted (after the per-answer cap)
    items: int = 0
    edits: int = 0
    user: object = None
    declared: bool = False  # lists the tag as expertise on their profile

    @property
    def points(self) -> int:
        return (
            ACCEPTED_POINTS * self.accepted
            + HELPFUL_POINTS * self.helpful
            + ITEM_POINTS * self.items
            + EDIT_POINTS * self.edits
        )

    @property
    def name(self) -> str:
        return display_name(self.user)

    def add(self, other: "ExpertScore") -> None:
        self.accepted += other.accepted
        self.helpful += other.helpful
        self.items += other.items
        self.edits += other.edits

    def _key(self):
        return (-self.points, -self.accepted, -self.helpful, self.user_id)


@dataclass
class TagExperts:
    name: str
    questions: int = 0
    unanswered: int = 0
    experts: list[ExpertScore] = field(default_factory=list)
    expert_count: int = 0  # all members at or above the threshold (experts holds the top ones)


def _key(name: str) -> str:
    return name.casefold()


def _active_member_ids(community: Community):
    return Membership.objects.filter(
        community=community, state=Membership.State.ACTIVE, user__is_active=True
    ).values("user_id")


def _tag_scores(
    community: Community, tag_names: list[str] | None = None
) -> tuple[dict[str, dict[int, ExpertScore]], dict[str, str]]:
    """Scores per tag key and member, and a display name per tag key (three queries); only
    the keys of *tag_names* when given."""
    active = _active_member_ids(community)
    scores: dict[str, dict[int, ExpertScore]] = defaultdict(dict)
    names: dict[str, str] = {}

    def score(tag: str | None, user_id: int) -> ExpertScore | None:
        if not tag:
            return None
        key = _key(tag)
        names.setdefault(key, tag)
        per_tag = scores[key]
        if user_id not in per_tag:
            per_tag[user_id] = ExpertScore(user_id=user_id)
        return per_tag[user_id]

    accepted = Thread.objects.filter(
        community=community,
        is_hidden=False,
        accepted_post__is_hidden=False,
        accepted_post__author__in=active,
    ).exclude(accepted_post__author=F("author"))
    helpful = Post.objects.filter(
        community=community,
        is_answer=True,
        is_hidden=False,
        thread__is_hidden=False,
        helpful_count__gt=0,
        author__in=active,
    )
    credits = ItemContributor.objects.filter(
        item__community=community, item__state=Item.State.PUBLISHED, user__in=active
    )
    for tag, user_id, n in accepted.values_list("tags__name", "accepted_post__author_id").annotate(
        n=Count("pk")
    ):
        if entry := score(tag, user_id):
            entry.accepted += n
    for tag, user_id, n in helpful.values_list("thread__tags__name", "author_id").annotate(
        n=Sum(Least("helpful_count", Value(HELPFUL_CAP_PER_ANSWER)))
    ):
        if entry := score(tag, user_id):
            entry.helpful += n or 0
    for tag, user_id, role, n in credits.values_list(
        "item__tags__name", "user_id", "role"
    ).annotate(n=Count("item_id", distinct=True)):
        if entry := score(tag, user_id):
            if role == ItemContributor.Role.EDITOR:
                entry.edits += n
            else:
                entry.items += n
    # Every name of a wanted key counts ("straße" and "strasse" are one key), so the rows are
    # not filtered by name (that matched the names exactly, missing the others); the keys are
    # kept afterwards. Only the reference reads this way: a whole community's rows.
    if tag_names is not None:
        wanted = {_key(n) for n in tag_names}
        scores = defaultdict(dict, {k: v for k, v in scores.items() if k in wanted})
    return scores, names


def _question_counts(community: Community) -> dict[str, tuple[str, int, int]]:
    """Per tag key: (display name, questions, unanswered questions) over visible questions."""
    rows = (
        Thread.objects.filter(community=community, is_hidden=False, kind=Thread.Kind.QUESTION)
        .exclude(tags__name=None)
        .values_list("tags__name")
        .annotate(questions=Count("pk"), unanswered=Count("pk", filter=Q(answer_count=0)))
    )
    counts: dict[str, tuple[str, int, int]] = {}
    for name, questions, unanswered in rows:
        key = _key(name)
        shown_name, q, u = counts.get(key, (name, 0, 0))
        counts[key] = (shown_name, q + questions, u + unanswered)
    return counts


def _ranked(per_tag: dict[int, ExpertScore]) -> list[ExpertScore]:
    return sorted(
        (s for s in per_tag.values() if s.points >= EXPERT_MIN_SCORE), key=ExpertScore._key
    )


def _users_with_names(ids: set[int]) -> tuple[dict, dict[int, list[str]]]:
    """The users *ids* with their profiles' display names, by id, and the names of the tags each
    declares as expertise on their profile: one plain query (composing a ``select_related``
    cost more than the rest of the likely answerers; the declared tags were a second round
    trip). Only the id and username of a user, and the id and display name of a profile, are
    loaded; any other field is deferred (read from the database if something asks for it)."""
    quote = connection.ops.quote_name
    params = {f"u{i}": pk for i, pk in enumerate(sorted(ids))}
    params["content_type"] = ContentType.objects.get_for_model(Profile).pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id, u.username, p.id, p.display_name, t.name "  # noqa: S608
            f"FROM {quote(User._meta.db_table)} u "
            f"LEFT JOIN {quote(Profile._meta.db_table)} p ON p.user_id = u.id "
            f"LEFT JOIN {quote(ProfileTaggedItem._meta.db_table)} i "
            "ON i.object_id = p.id AND i.content_type_id = %(content_type)s "
            f"LEFT JOIN {quote(ProfileTag._meta.db_table)} t ON t.id = i.tag_id "
            f"WHERE u.id IN ({', '.join(f'%({name})s' for name in params if name[0] == 'u')})",
            params,
        )
        rows = cursor.fetchall()
    db = connection.alias
    users, declared = {}, defaultdict(list)
    for user_id, username, profile_id, shown_name, tag_name in rows:
        if tag_name is not None:
            declared[user_id].append(tag_name)
        if user_id in users:  # one row per declared tag
            continue
        user = User.from_db(db, ["id", "username"], [user_id, username])
        if profile_id is not None:
            user.profile = Profile.from_db(
                db, ["id", "user_id", "display_name"], [profile_id, user_id, shown_name]
            )
        users[user_id] = user
    return users, declared


def _attach_users(entries: list[tuple[ExpertScore, set[str]]], viewer) -> None:
    """Load the users shown (with profiles) and the expertise they declare to *viewer*: one
    query, and a second, the gatekeeper's, when some of them declare a tag they are shown
    for. Each entry comes with the tag keys it is shown for: it gets the badge only where the
    person declares one of those, not for a tag they declare in another section."""
    tag_keys_by_user: dict[int, set[str]] = defaultdict(set)
    for entry, keys in entries:
        tag_keys_by_user[entry.user_id] |= keys
    ids = set(tag_keys_by_user)
    if not ids:
        return
    users, declared_names = _users_with_names(ids)
    declared: dict[int, set[str]] = defaultdict(set)
    for user_id, names in declared_names.items():
        for name in names:
            key = _key(name)
            if key in tag_keys_by_user.get(user_id, ()):
                declared[user_id].add(key)
    if declared:
        # Whose declared expertise the viewer may see: the gatekeeper's rule, asked only about
        # the profiles that declare a tag they are shown for (most experts declare none).
        profile_to_user = {users[u].profile.pk: u for u in declared}
        shown = {
            profile_to_user[pk]
            for pk in Profile.objects.filter(pk__in=list(profile_to_user))
            .filter(permissions.profile_details_visible_q(viewer))
            .values_list("pk", flat=True)
        }
        declared = {user_id: keys for user_id, keys in declared.items() if user_id in shown}
    for entry, keys in entries:
        entry.user = users[entry.user_id]
        entry.declared = not keys.isdisjoint(declared.get(entry.user_id, ()))


def _token_sql(community_id: int) -> tuple[str, list]:
    """The expression of a community's ranking token, and its parameters.

    On PostgreSQL a writer's changes replace the version row's token only at commit
    (``ExpertRankingChange``, migration ``knowledge.0007``): until then the writer itself reads
    the latest token of its own change rows, which nobody else sees (a read-only transaction
    has no transaction id, so it matches none)."""
    quote = connection.ops.quote_name
    version = (
        f"(SELECT token FROM {quote(ExpertRankingVersion._meta.db_table)} "  # noqa: S608
        "WHERE community_id = %s)"
    )
    if connection.vendor != "postgresql":
        return version, [community_id]  # SQLite's triggers write the version row itself
    if connection.get_autocommit() and not connection.in_atomic_block:
        # Each statement commits on its own: no change row of this connection is left open
        # (a page read by a plain GET; one subquery less for PostgreSQL to plan).
        return version, [community_id]
    return (
        f"COALESCE((SELECT token FROM {quote(ExpertRankingChange._meta.db_table)} "  # noqa: S608
        "WHERE xact = txid_current_if_assigned() AND community_id = %s "
        f"ORDER BY id DESC LIMIT 1), {version})"
    ), [community_id, community_id]


def ranking_token(community_id: int) -> str | None:
    """The ranking token this connection reads for *community_id* now (None without one)."""
    with connection.cursor() as cursor:
        sql, params = _token_sql(community_id)
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]


def _tag_uses(community: Community) -> tuple[list[tuple[str, int, int]], str | None]:
    """(name, questions, unanswered) of the tags used in *community*, by name, and the
    community's ranking token (None without tags or token): one plain query (composing it with
    the ORM cost about as much as the rest of the selector's own work). The token is read in
    this statement, before the ranking, so a ranking cached under it is never older than it."""
    quote = connection.ops.quote_name
    token_sql, token_params = _token_sql(community.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, questions, unanswered, {token_sql} "  # noqa: S608
            f"FROM {quote(TagUse._meta.db_table)} "
            "WHERE community_id = %s AND uses > 0 ORDER BY name",
            [*token_params, community.pk],
        )
        rows = cursor.fetchall()
    token = rows[0][3] if rows else None
    return [row[:3] for row in rows], token


@dataclass
class ExpertsPage:
    tags: list[TagExperts]  # shown: every tag with questions or experts (most questions
    # first), or only the selected one
    without_expert: list[TagExperts]  # tags with questions and nobody at the threshold
    selected: TagExperts | None = None
    tag_count: int = 0


def community_experts(*, community: Community, viewer, tag: str = "") -> ExpertsPage:
    """Experts per tag in *community* (the caller checked *viewer* may read it).

    With *tag*, only that tag, with more names. Reads the stored scores
    (``knowledge.services.experts`` keeps them): the tag counts, the top experts of every tag
    (active members only), the selected tag's longer list, the users shown with the expertise
    they declare, and who may see it: five queries at most, whatever the size; the two
    rankings come from the copy kept under the community's ranking token when it has one.
    """
    counts: dict[str, list] = {}  # key -> [name, questions, unanswered, name has questions]
    uses, token = _tag_uses(community)
    for name, n_questions, n_unanswered in uses:
        key = _key(name)
        entry = counts.setdefault(key, [name, 0, 0, False])
        if n_questions and not entry[3]:
            entry[0], entry[3] = name, True
        entry[1] += n_questions
        entry[2] += n_unanswered
    top = _cached_top(community, token=token, limit=EXPERTS_PER_TAG) if counts else {}
    tags = []
    for key, (name, n_questions, n_unanswered, _) in counts.items():
        ranked, expert_count = top.get(key, ([], 0))
        if n_questions or expert_count:
            tags.append(
                TagExperts(
                    name=name,
                    questions=n_questions,
                    unanswered=n_unanswered,
                    experts=ranked,
                    expert_count=expert_count,
                )
            )
    tags.sort(key=lambda t: (-t.questions, -t.expert_count, t.name.casefold()))
    without = [t for t in tags if t.questions and not t.expert_count]
    without.sort(key=lambda t: (-t.unanswered, -t.questions, t.name.casefold()))
    selected = next((t for t in tags if _key(t.name) == _key(tag)), None) if tag else None
    if selected is not None and selected.expert_count > EXPERTS_PER_TAG:
        key = _key(selected.name)
        selected.experts = _cached_top(
            community, token=token, limit=EXPERTS_FOR_ONE_TAG, tag_key=key
        )[key][0]
    shown = [selected] if selected else tags
    _attach_users([(e, {_key(t.name)}) for t in shown for e in t.experts], viewer)
    return ExpertsPage(tags=shown, without_expert=without, selected=selected, tag_count=len(tags))


# The experts' ranking, written as SQL: composing it with the ORM (two window expressions, the
# filter on one of them, the semi-join) cost more CPU than the rest of the page
# (bench/experts.py). On PostgreSQL, each tag's top experts are read through the ranking index
# (a LATERAL join, LIMIT per tag) and the counts by one hash aggregate: sorting every scoring row
# of the community for a window function cost the database three times as much. SQLite has no
# LATERAL: it ranks with the window functions, fine at the embedded default's size.
_ACTIVE_MEMBERS_SQL = """
    SELECT m.user_id FROM {memberships} m JOIN {users} u ON u.id = m.user_id
    WHERE m.community_id = %(community)s AND m.state = %(active)s AND u.is_active
"""
_STORED_TOP_SQL = {
    "postgresql": """
WITH active AS MATERIALIZED ({active_members}),
counts AS (
    SELECT s.tag_key, COUNT(*) AS experts FROM {scores} s
    WHERE s.community_id = %(community)s AND s.points >= %(min_score)s {tag_filter}
        AND s.user_id IN (SELECT user_id FROM active)
    GROUP BY s.tag_key
)
SELECT c.tag_key, t.user_id, t.accepted, t.helpful, t.items, t.edits, c.experts
FROM counts c CROSS JOIN LATERAL (
    SELECT s.user_id, s.accepted, s.helpful, s.items, s.edits, s.points FROM {scores} s
    WHERE s.community_id = %(community)s AND s.tag_key = c.tag_key
        AND s.points >= %(min_score)s AND s.user_id IN (SELECT user_id FROM active)
    ORDER BY s.points DESC, s.accepted DESC, s.helpful DESC, s.user_id
    LIMIT %(limit)s
) t
ORDER BY c.tag_key, t.points DESC, t.accepted DESC, t.helpful DESC, t.user_id
""",
    "default": """
SELECT tag_key, user_id, accepted, helpful, items, edits, experts FROM (
    SELECT s.tag_key, s.user_id, s.accepted, s.helpful, s.items, s.edits,
        ROW_NUMBER() OVER (
            PARTITION BY s.tag_key
            ORDER BY s.points DESC, s.accepted DESC, s.helpful DESC, s.user_id
        ) AS rank,
        COUNT(*) OVER (PARTITION BY s.tag_key) AS experts
    FROM {scores} s
    WHERE s.community_id = %(community)s AND s.points >= %(min_score)s {tag_filter}
        AND s.user_id IN ({active_members})
) ranked
WHERE rank <= %(limit)s
ORDER BY tag_key, rank
""",
}


# ``likely_answerers``: scores on the thread's tags added up per member, ranked as ``_ranked``
# ranks (points, accepted, helpful, then the id), at or above the threshold.
_LIKELY_ANSWERERS_SQL = """
SELECT s.user_id, SUM(s.accepted), SUM(s.helpful), SUM(s.items), SUM(s.edits) FROM {scores} s
WHERE s.community_id = %(community)s AND s.tag_key IN ({tags}) AND s.user_id <> %(author)s
    AND s.user_id IN ({active_members})
GROUP BY s.user_id
HAVING SUM(s.points) >= %(min_score)s
ORDER BY SUM(s.points) DESC, SUM(s.accepted) DESC, SUM(s.helpful) DESC, s.user_id
LIMIT %(limit)s
"""


# The ranking read under a community's token (``ExpertRankingVersion``: the database replaces
# it whenever a score, a membership or an account's is_active changes) is that token's ranking
# for good: kept in this process (no round trip, no unpickling) and in the shared cache. A
# token is random, so one written by a transaction that rolled back is never met again. Only the
# ranking is cached: the names, the declared expertise and who may see them are read per request.
RANKING_TIMEOUT = 24 * 60 * 60
LOCAL_RANKINGS = 256
_local_rankings: OrderedDict = OrderedDict()
_local_rankings_lock = threading.Lock()
_RANKING_CODE = hashlib.blake2b(
    repr(
        (
            _STORED_TOP_SQL,
            _ACTIVE_MEMBERS_SQL,
            EXPERT_MIN_SCORE,
            ACCEPTED_POINTS,
            HELPFUL_POINTS,
            HELPFUL_CAP_PER_ANSWER,
            ITEM_POINTS,
            EDIT_POINTS,
        )
    ).encode(),
    digest_size=8,
).hexdigest()


def forget_local_rankings() -> None:
    """Empty this process's copy of the rankings (tests that count queries start from nothing)."""
    with _local_rankings_lock:
        _local_rankings.clear()


def _cached_top(
    community: Community, *, token: str | None, limit: int, tag_key: str | None = None
) -> dict[str, tuple[list[ExpertScore], int]]:
    """Per tag key: its *limit* best active experts and how many it has; from the copy kept
    under *token* when there is one (no query), else one query."""
    if token is None:
        return _scores_by_tag(_stored_top_rows(community, limit=limit, tag_key=tag_key))
    # The tag comes from the address (?tag=): digested, so the key stays short and has no
    # spaces (Django warns of keys memcached would refuse, on every request).
    tag_digest = hashlib.blake2b(repr(tag_key).encode(), digest_size=12).hexdigest()
    key = (
        f"knowledge:experts-ranking:{_RANKING_CODE}:{connection.vendor}:{community.pk}:"
        f"{token}:{limit}:{tag_digest}"
    )
    with _local_rankings_lock:
        rows = _local_rankings.get(key)
        if rows is not None:
            _local_rankings.move_to_end(key)
    if rows is None:
        rows = cache.get(key)
        if not isinstance(rows, tuple):
            rows = tuple(_stored_top_rows(community, limit=limit, tag_key=tag_key))
            cache.set(key, rows, RANKING_TIMEOUT)
        with _local_rankings_lock:
            _local_rankings[key] = rows
            while len(_local_rankings) > LOCAL_RANKINGS:
                _local_rankings.popitem(last=False)
    return _scores_by_tag(rows)


def _scores_by_tag(rows) -> dict[str, tuple[list[ExpertScore], int]]:
    """New score objects per request (the page attaches each reader's users to them)."""
    top: dict[str, tuple[list[ExpertScore], int]] = {}
    for key, user_id, accepted, helpful, items, edits, experts in rows:
        entry = top.setdefault(key, ([], experts))
        entry[0].append(
            ExpertScore(
                user_id=user_id, accepted=accepted, helpful=helpful, items=items, edits=edits
            )
        )
    return top


def _stored_top_rows(community: Community, *, limit: int, tag_key: str | None = None) -> list:
    """Per tag key its *limit* best active experts, each row with the tag's count of experts:
    (tag key, user id, accepted, helpful, items, edits, count), by tag and rank (one query)."""
    quote = connection.ops.quote_name
    template = _STORED_TOP_SQL.get(connection.vendor, _STORED_TOP_SQL["default"])
    sql = template.format(
        scores=quote(TagExpertScore._meta.db_table),
        active_members=_ACTIVE_MEMBERS_SQL.format(
            memberships=quote(Membership._meta.db_table), users=quote(User._meta.db_table)
        ),
        tag_filter="AND s.tag_key = %(tag)s" if tag_key is not None else "",
    )
    params = {
        "community": community.pk,
        "active": Membership.State.ACTIVE.value,
        "min_score": EXPERT_MIN_SCORE,
        "limit": limit,
    }
    if tag_key is not None:
        params["tag"] = tag_key
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def community_experts_aggregate(*, community: Community, viewer, tag: str = "") -> ExpertsPage:
    """``community_experts`` worked out from the rows by aggregates on every call, as the page
    did before the scores were stored: the reference ``experts_fill --check`` and the tests
    compare the stored scores with."""
    scores, names = _tag_scores(community)
    questions = _question_counts(community)
    keys = set(scores) | set(questions)
    tags = []
    for key in keys:
        name, n_questions, n_unanswered = questions.get(key, (names.get(key, key), 0, 0))
        ranked = _ranked(scores.get(key, {}))
        tags.append(
            TagExperts(
                name=name,
                questions=n_questions,
                unanswered=n_unanswered,
                experts=ranked,
                expert_count=len(ranked),
            )
        )
    tags = [t for t in tags if t.questions or t.expert_count]
    tags.sort(key=lambda t: (-t.questions, -t.expert_count, t.name.casefold()))
    without = [t for t in tags if t.questions and not t.expert_count]
    without.sort(key=lambda t: (-t.unanswered, -t.questions, t.name.casefold()))
    selected = next((t for t in tags if _key(t.name) == _key(tag)), None) if tag else None
    shown = [selected] if selected else tags
    limit = EXPERTS_FOR_ONE_TAG if selected else EXPERTS_PER_TAG
    for t in shown:
        t.experts = t.experts[:limit]
    _attach_users([(e, {_key(t.name)}) for t in shown for e in t.experts], viewer)
    return ExpertsPage(tags=shown, without_expert=without, selected=selected, tag_count=len(tags))


def likely_answerers(
    *, thread: Thread, tag_names: list[str], viewer, limit: int = LIKELY_ANSWERERS
):
    """Members most likely to answer *thread*: the top experts of its tags, not its author
    (their declared expertise as *viewer* may see it).

    Scores on several of the thread's tags add up. Three queries, from the stored scores; none
    without tags.
    """
    if not tag_names:
        return []
    wanted = sorted({_key(n) for n in tag_names})
    # Summed and ranked in the database, the first *limit* only, written as SQL: composing the
    # aggregate with the ORM cost more than the rest of the thread page's panels.
    quote = connection.ops.quote_name
    tags = {f"tag{i}": key for i, key in enumerate(wanted)}
    sql = _LIKELY_ANSWERERS_SQL.format(
        scores=quote(TagExpertScore._meta.db_table),
        active_members=_ACTIVE_MEMBERS_SQL.format(
            memberships=quote(Membership._meta.db_table), users=quote(User._meta.db_table)
        ),
        tags=", ".join(f"%({name})s" for name in tags),
    )
    params = {
        "community": thread.community_id,
        "active": Membership.State.ACTIVE.value,
        "author": thread.author_id,
        "min_score": EXPERT_MIN_SCORE,
        "limit": limit,
        **tags,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ranked = [
        ExpertScore(user_id=user_id, accepted=accepted, helpful=helpful, items=items, edits=edits)
        for user_id, accepted, helpful, items, edits in rows
    ]
    _attach_users([(e, set(wanted)) for e in ranked], viewer)
    return ranked


def likely_answerers_aggregate(
    *, thread: Thread, tag_names: list[str], viewer, limit: int = LIKELY_ANSWERERS
):
    """``likely_answerers`` worked out from the rows by aggregates, as before the scores were
    stored: the reference the tests compare it with."""
    if not tag_names:
        return []
    scores, _ = _tag_scores(thread.community, tag_names=tag_names)
    totals: dict[int, ExpertScore] = {}
    for per_tag in scores.values():
        for user_id, entry in per_tag.items():
            if user_id == thread.author_id:
                continue
            total = totals.setdefault(user_id, ExpertScore(user_id=user_id))
            total.add(entry)
    ranked = _ranked(totals)[:limit]
    wanted = {_key(n) for n in tag_names}
    _attach_users([(e, wanted) for e in ranked], viewer)
    return ranked


def stored_scores_differences(*, community: Community) -> list[str]:
    """Where the stored scores and tag counts of *community* differ from the aggregates over
    its rows (active members; empty when they agree): ``experts_fill --check`` and the tests."""
    scores, _ = _tag_scores(community)
    expected = {
        (key, user_id): (s.accepted, s.helpful, s.items, s.edits)
        for key, per_tag in scores.items()
        for user_id, s in per_tag.items()
        if s.points or s.accepted or s.helpful or s.items or s.edits
    }
    stored = {
        (key, user_id): values
        for key, user_id, *values in TagExpertScore.objects.filter(
            community=community, user_id__in=_active_member_ids(community)
        )
        .exclude(accepted=0, helpful=0, items=0, edits=0)
        .values_list("tag_key", "user_id", "accepted", "helpful", "items", "edits")
    }
    stored = {k: tuple(v) for k, v in stored.items()}
    differences = [
        f"{community.slug}: tag {key!r}, user {user_id}: stored {stored.get((key, user_id))}, "
        f"rows {expected.get((key, user_id))}"
        for key, user_id in sorted(set(expected) | set(stored))
        if expected.get((key, user_id)) != stored.get((key, user_id))
    ]
    bad_points = TagExpertScore.objects.filter(community=community).exclude(
        points=ACCEPTED_POINTS * F("accepted")
        + HELPFUL_POINTS * F("helpful")
        + ITEM_POINTS * F("items")
        + EDIT_POINTS * F("edits")
    )
    differences += [f"{community.slug}: points out of step: {row}" for row in bad_points]
    questions = {k: (q, u) for k, (_, q, u) in _question_counts(community).items()}
    counted: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, q, u in TagUse.objects.filter(community=community, questions__gt=0).values_list(
        "name", "questions", "unanswered"
    ):
        counted[_key(name)][0] += q
        counted[_key(name)][1] += u
    counted = {k: tuple(v) for k, v in counted.items()}
    differences += [
        f"{community.slug}: tag {key!r}: stored questions {counted.get(key)}, rows "
        f"{questions.get(key)}"
        for key in sorted(set(questions) | set(counted))
        if questions.get(key) != counted.get(key)
    ]
    return differences
