"""The interaction log keeps who helped whom for PRACTICA_INTERACTION_RETENTION_DAYS: older
rows are counted per month and kind, then deleted; a rebuild from the content does not bring
them back; the metrics' ties do not move for it."""

from datetime import UTC, datetime, timedelta

import pytest

from communities.interactions import interactions_prune, interactions_rebuild
from communities.models import Interaction, InteractionArchive
from communities.retention import retention_cutoff
from metrics import services as metrics_services
from metrics.models import TieStrength
from practice.services import threads as thread_services
from tests.practice.factories import member_of

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=4 * 365)


@pytest.fixture
def three_years(settings):
    settings.PRACTICA_INTERACTION_RETENTION_DAYS = 3 * 365


def exchange(community, asker, helper, at):
    thread = thread_services.thread_create(
        community=community, author=asker, kind="question", title="Heel ulcers?", body="?", at=at
    )
    thread_services.post_create(thread=thread, author=helper, body="Foam.", at=at)


@pytest.fixture
def history(open_community):
    asker = member_of(open_community, username="asker")
    helper = member_of(open_community, username="helper")
    exchange(open_community, asker, helper, LONG_AGO)
    exchange(open_community, helper, asker, LONG_AGO + timedelta(days=3))
    exchange(open_community, asker, helper, NOW - timedelta(days=10))
    return open_community


def test_the_cutoff_is_the_start_of_a_month(settings):
    settings.PRACTICA_INTERACTION_RETENTION_DAYS = 30
    assert retention_cutoff(NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    settings.PRACTICA_INTERACTION_RETENTION_DAYS = 0
    assert retention_cutoff(NOW) is None


def test_nothing_is_pruned_when_the_log_is_kept_for_ever(history, settings):
    settings.PRACTICA_INTERACTION_RETENTION_DAYS = 0
    before = Interaction.objects.count()
    assert interactions_prune(now=NOW) == 0
    assert Interaction.objects.count() == before and not InteractionArchive.objects.exists()


@pytest.mark.usefixtures("three_years")
def test_old_rows_become_monthly_counts_without_names(history):
    old = Interaction.objects.filter(occurred_at__lt=NOW - timedelta(days=3 * 365))
    expected = {}
    for row in old:
        key = (row.occurred_at.date().replace(day=1), row.kind)
        expected[key] = expected.get(key, 0) + 1
    assert expected, "the fixture has old interactions"
    assert interactions_prune(now=NOW) == sum(expected.values())
    assert not Interaction.objects.filter(occurred_at__lt=NOW - timedelta(days=3 * 365)).exists()
    assert Interaction.objects.exists()  # the recent ones stay
    archived = {(a.month, a.kind): a.count for a in InteractionArchive.objects.all()}
    assert archived == expected
    assert {f.name for f in InteractionArchive._meta.concrete_fields} == {
        "id",
        "community",
        "month",
        "kind",
        "count",
    }
    assert interactions_prune(now=NOW) == 0  # idempotent


@pytest.mark.usefixtures("three_years")
def test_a_rebuild_from_the_content_does_not_bring_them_back_or_count_them_twice(history):
    interactions_prune(now=NOW)
    archived = list(InteractionArchive.objects.values_list("month", "kind", "count"))
    interactions_rebuild()
    assert not Interaction.objects.filter(occurred_at__lt=NOW - timedelta(days=3 * 365)).exists()
    assert list(InteractionArchive.objects.values_list("month", "kind", "count")) == archived


@pytest.mark.usefixtures("three_years")
def test_the_ties_keep_their_weight_and_lose_only_their_pruned_past(history):
    """The decayed weight of each tie does not move (what was pruned weighed about 2⁻¹⁶ of a
    new contact); what the pruned rows alone told — when the pair first met — is gone, so a
    tie's age is counted from the oldest contact kept (README, "Retention")."""
    metrics_services.metrics_compute(community_id=history.pk, as_of=NOW)
    before = {(t.user_a_id, t.user_b_id): t for t in TieStrength.objects.all()}
    interactions_prune(now=NOW)
    metrics_services.metrics_compute(community_id=history.pk, as_of=NOW + timedelta(hours=1))
    after = {(t.user_a_id, t.user_b_id): t for t in TieStrength.objects.all()}
    assert before.keys() == after.keys()
    for pair, tie in before.items():
        kept = after[pair]
        assert kept.units_ab + kept.units_ba == pytest.approx(
            tie.units_ab + tie.units_ba, rel=1e-3
        ), pair
        assert kept.first_at > tie.first_at  # met "later": the first contacts were pruned
