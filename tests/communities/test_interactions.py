"""The interaction log: written once, never between a member and themself, rebuildable."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from communities import interactions
from communities.models import Interaction, Membership
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db

Kind = Interaction.Kind


def _rows(qs=None):
    qs = Interaction.objects.all() if qs is None else qs
    return set(
        qs.values_list(
            "community_id",
            "actor_id",
            "target_id",
            "kind",
            "occurred_at",
            "group_size",
            "source_type_id",
            "source_id",
        )
    )


@pytest.fixture
def community():
    return CommunityFactory()


@pytest.fixture
def pair(community):
    return make_member(community).user, make_member(community).user


def test_interaction_record_writes_one_row(community, pair):
    actor, target = pair
    source = Membership.objects.get(user=target)
    now = timezone.now()
    interactions.interaction_record(
        community=community, actor=actor, target=target, kind=Kind.REPLY, occurred_at=now,
        source=source,
    )  # fmt: skip
    row = Interaction.objects.get()
    assert (row.community, row.actor, row.target, row.kind) == (community, actor, target, "reply")
    assert row.occurred_at == now
    assert row.group_size == 2
    assert row.source == source


def test_interaction_record_twice_is_one_row(community, pair):
    actor, target = pair
    source = Membership.objects.get(user=target)
    for _ in range(2):
        interactions.interaction_record(
            community=community, actor=actor, target=target, kind=Kind.VOTE,
            occurred_at=timezone.now(), source=source,
        )  # fmt: skip
    assert Interaction.objects.count() == 1
    # Another kind from the same source is another interaction.
    interactions.interaction_record(
        community=community, actor=actor, target=target, kind=Kind.MENTION,
        occurred_at=timezone.now(), source=source,
    )  # fmt: skip
    assert Interaction.objects.count() == 2


def test_interaction_unique_constraint_in_the_database(community, pair):
    actor, target = pair
    source = Membership.objects.get(user=target)
    fields = {
        "community": community,
        "actor": actor,
        "target": target,
        "kind": Kind.ANSWER,
        "occurred_at": timezone.now(),
        "source_type": ContentType.objects.get_for_model(Membership),
        "source_id": source.pk,
    }
    Interaction.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(**{**fields, "target": actor})  # with themself


def test_interaction_record_skips_self_interaction(community, pair):
    actor, _ = pair
    interactions.interaction_record(
        community=community, actor=actor, target=actor, kind=Kind.REPLY,
        occurred_at=timezone.now(), source=community,
    )  # fmt: skip
    assert not Interaction.objects.exists()


def test_group_specs_both_directions_with_group_size(community):
    a, b, c = (make_member(community).user for _ in range(3))
    now = timezone.now()
    specs = interactions.group_specs(
        community_id=community.pk, member_ids=[c.pk, a.pk, b.pk, a.pk], kind=Kind.CO_ATTENDANCE,
        occurred_at=now, source=community,
    )  # fmt: skip
    pairs = {(s.actor_id, s.target_id) for s in specs}
    ids = {a.pk, b.pk, c.pk}
    assert pairs == {(x, y) for x in ids for y in ids if x != y}
    assert len(specs) == 6
    assert {s.group_size for s in specs} == {3}
    assert {s.kind for s in specs} == {Kind.CO_ATTENDANCE}
    assert interactions.interactions_write(specs) == 6
    assert Interaction.objects.count() == 6
    assert interactions.interactions_write(specs) == 6  # offered again: nothing new
    assert Interaction.objects.count() == 6


def test_group_specs_of_one_member_is_empty(community, pair):
    specs = interactions.group_specs(
        community_id=community.pk, member_ids=[pair[0].pk], kind=Kind.CO_EDIT,
        occurred_at=timezone.now(), source=community,
    )  # fmt: skip
    assert specs == []


def test_interactions_retract_by_source_kind_and_actor(community):
    a, b, c = (make_member(community).user for _ in range(3))
    source = Membership.objects.get(user=a)
    other_source = Membership.objects.get(user=b)
    now = timezone.now()
    record = interactions.interaction_record
    record(community=community, actor=a, target=b, kind=Kind.VOTE, occurred_at=now, source=source)
    record(community=community, actor=c, target=b, kind=Kind.VOTE, occurred_at=now, source=source)
    record(community=community, actor=a, target=b, kind=Kind.REPLY, occurred_at=now, source=source)
    record(
        community=community, actor=a, target=c, kind=Kind.VOTE, occurred_at=now,
        source=other_source,
    )  # fmt: skip

    assert interactions.interactions_retract(source=source, kind=Kind.VOTE, actor=c) == 1
    assert interactions.interactions_retract(source=source, kind=Kind.VOTE) == 1
    assert set(Interaction.objects.values_list("kind", "source_id")) == {
        (Kind.REPLY, source.pk),
        (Kind.VOTE, other_source.pk),
    }
    assert interactions.interactions_retract(source=source) == 1
    assert Interaction.objects.count() == 1


# --- rebuild -----------------------------------------------------------------------------------

SOURCE_NAME = "test-memberships"


def _membership_source(community_ids):
    """A stand-in for a content app: every active member 'replied' to each moderator."""
    moderators = Membership.objects.filter(
        role=Membership.Role.MODERATOR, state=Membership.State.ACTIVE
    )
    members = Membership.objects.filter(state=Membership.State.ACTIVE)
    if community_ids is not None:
        moderators = moderators.filter(community_id__in=community_ids)
        members = members.filter(community_id__in=community_ids)
    for moderator in moderators:
        for member in members.filter(community_id=moderator.community_id):
            yield interactions.spec_for(
                community_id=member.community_id,
                actor_id=member.user_id,
                target_id=moderator.user_id,
                kind=Kind.REPLY,
                occurred_at=member.created_at,
                source=member,
            )


@pytest.fixture
def registered_source():
    interactions.register_interaction_source(SOURCE_NAME, _membership_source)
    yield _membership_source
    interactions.unregister_interaction_source(SOURCE_NAME)


@pytest.fixture
def two_communities():
    first = CommunityFactory(slug="first")
    second = CommunityFactory(slug="second")
    for community in (first, second):
        make_member(community, role=Membership.Role.MODERATOR)
        for _ in range(3):
            make_member(community)
    # What the content services wrote as the content was created.
    interactions.interactions_write(_membership_source(None))
    return first, second


def test_rebuild_interactions_reproduces_the_same_rows(registered_source, two_communities):
    written = _rows()
    assert len(written) == 2 * 3  # 3 members per community; the moderator self-pair is skipped
    call_command("rebuild_interactions")
    assert _rows() == written


def test_rebuild_interactions_repairs_drift(registered_source, two_communities):
    written = _rows()
    first, _ = two_communities
    Interaction.objects.filter(community=first).first().delete()
    Interaction.objects.filter(community=first).update(occurred_at=timezone.now() + timedelta(1))
    call_command("rebuild_interactions")
    assert _rows() == written


def test_rebuild_interactions_scoped_by_slug(registered_source, two_communities, capsys):
    first, second = two_communities
    Interaction.objects.filter(community=second).first().delete()
    second_before = _rows(Interaction.objects.filter(community=second))
    Interaction.objects.filter(community=first).delete()

    call_command("rebuild_interactions", "first")

    assert _rows(Interaction.objects.filter(community=second)) == second_before  # untouched
    assert _rows(Interaction.objects.filter(community=first)) == _rows_from_source([first.pk])
    assert "first" in capsys.readouterr().out


def _rows_from_source(community_ids):
    return {
        (s.community_id, s.actor_id, s.target_id, s.kind, s.occurred_at, s.group_size,
         s.source_type_id, s.source_id)
        for s in _membership_source(community_ids)
        if s.actor_id != s.target_id
    }  # fmt: skip


def test_rebuild_interactions_unknown_slug_is_an_error(registered_source, two_communities):
    before = _rows()
    with pytest.raises(CommandError, match="no-such"):
        call_command("rebuild_interactions", "first", "no-such")
    assert _rows() == before


def test_unregister_interaction_source_forgets_it(two_communities):
    interactions.register_interaction_source(SOURCE_NAME, _membership_source)
    interactions.unregister_interaction_source(SOURCE_NAME)
    assert SOURCE_NAME not in interactions._sources


# --- indexes -----------------------------------------------------------------------------------


def test_interaction_indexes_exist_in_the_database():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Interaction._meta.db_table)
    indexed = [tuple(c["columns"]) for c in constraints.values() if c["index"]]
    assert ("community_id", "occurred_at") in indexed
    assert ("community_id", "actor_id", "target_id") in indexed
    unique = [tuple(c["columns"]) for c in constraints.values() if c["unique"]]
    assert ("kind", "source_type_id", "source_id", "actor_id", "target_id") in unique


@pytest.mark.postgres
def test_interactions_write_by_copy_writes_what_the_orm_writes(monkeypatch):
    """A batch by COPY (PostgreSQL) writes the rows bulk_create writes, in the specs' order,
    skipping self-interactions, ones already logged and duplicates within the batch."""
    community = CommunityFactory()
    people = [make_member(community) for _ in range(4)]
    source_type = ContentType.objects.get_for_model(Membership).pk
    at = timezone.now().replace(microsecond=123456)
    specs = [
        interactions.InteractionSpec(
            community_id=community.pk,
            actor_id=a.pk,
            target_id=b.pk,
            kind=Kind.REPLY,
            occurred_at=at - timedelta(minutes=n),
            source_type_id=source_type,
            source_id=n,
            group_size=2 + n % 3,
        )  # fmt: skip
        for n, (a, b) in enumerate((a, b) for a in people for b in people)
    ]
    logged = specs[:3]
    batch = [*specs, specs[6], specs[1]]  # a duplicate, and one logged before

    written = {}
    for path, threshold in (("orm", 10**9), ("copy", 1)):
        monkeypatch.setattr(interactions, "COPY_MIN_ROWS", threshold)
        with transaction.atomic():
            interactions.interactions_write(logged)
            assert interactions.interactions_write(batch) == 14  # four self-pairs left out
            written[path] = [
                (r[1:], r[0])
                for r in Interaction.objects.order_by("pk").values_list(
                    "pk", "community_id", "actor_id", "target_id", "kind", "occurred_at",
                    "group_size", "source_type_id", "source_id",
                )
            ]  # fmt: skip
            Interaction.objects.all().delete()
    assert [row for row, _ in written["copy"]] == [row for row, _ in written["orm"]]
    assert len(written["copy"]) == 12  # 16 pairs less the four self-pairs
    ids = [pk for _, pk in written["copy"]]
    assert ids == sorted(ids)
