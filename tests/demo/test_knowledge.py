"""The demo repertoire: every kind in every community, promoted items with provenance, evidence
(including "did not work"), waiting proposals and changes, featured and archived items; written
through the services (the interaction log rebuilds to the same rows); a second run adds nothing."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from communities.models import Community, Interaction
from demo import knowledge as demo
from demo import practice as practice_demo
from knowledge.models import ChangeProposal, CurationEvent, Evidence, Item, ItemContributor
from knowledge.selectors.experts import community_experts
from knowledge.selectors.health import health_queue

WEEKS = 8  # enough solved questions to promote, quick to build
# Two communities, a large and a small one (building all ten takes minutes; seed_demo does).
SLUGS = ["wound-care-nurses", "incident-review-guild"]
pytestmark = [pytest.mark.django_db]


@pytest.fixture(scope="module")
def summary(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", "--no-activity", stdout=io.StringIO())
            communities = list(Community.objects.filter(slug__in=SLUGS).order_by("pk"))
            practice_demo.activity_build(communities=communities, weeks=WEEKS)
            yield demo.repertoire_build(communities=communities)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_repertoire_build_applies_every_planned_step(summary):
    assert summary.failures == []
    assert summary.communities == len(SLUGS)
    assert summary.counts["item"] >= 25 * summary.communities


def test_every_community_has_dozens_of_items_of_every_kind(summary):
    for community in Community.objects.filter(slug__in=SLUGS):
        kinds = dict(
            Item.objects.filter(community=community).values_list("kind").annotate(n=Count("pk"))
        )
        assert set(kinds) == set(Item.Kind.values), community.slug
        assert sum(kinds.values()) >= 24, community.slug
        states = set(Item.objects.filter(community=community).values_list("state", flat=True))
        assert {"proposed", "published"} <= states, community.slug


def test_promoted_items_carry_provenance_and_credit(summary):
    promoted = Item.objects.filter(source_thread__isnull=False).select_related("source_thread")
    assert promoted.count() >= 2 * len(SLUGS)
    assert (
        promoted.filter(state="published").exists() and promoted.filter(state="proposed").exists()
    )
    for item in promoted[:20]:
        thread = item.source_thread
        assert thread.community_id == item.community_id
        assert item.source_post_id == thread.accepted_post_id
        credited = set(
            ItemContributor.objects.filter(item=item, role="source").values_list(
                "user_id", flat=True
            )
        )
        assert {thread.author_id, thread.accepted_post.author_id} - {
            item.proposed_by_id
        } <= credited
        assert CurationEvent.objects.filter(item=item, action="promoted").exists()


def test_evidence_and_curation_states_are_all_there(summary):
    assert Evidence.objects.filter(outcome="failed").exists()
    assert Evidence.objects.filter(outcome="partly").exists()
    assert Evidence.objects.exclude(note="").exists()
    assert Item.objects.filter(is_featured=True).exists()
    assert Item.objects.filter(state="archived", superseded_by__isnull=False).exists()
    assert Item.objects.filter(state="changes_requested").exists()
    assert ChangeProposal.objects.filter(state="pending").exists()
    assert Interaction.objects.filter(kind="worked", source_type__model="evidence").exists()
    assert Interaction.objects.filter(kind="co_edit").exists()
    for item in Item.objects.filter(used_count__gt=0)[:50]:
        assert item.used_count == Evidence.objects.filter(item=item).count()


def test_health_queue_and_experts_have_something_to_show(summary):
    community = Community.objects.get(slug="wound-care-nurses")
    queue = health_queue(community=community)
    for key in ("proposals", "changes", "changes_requested", "negative", "tags"):
        assert queue[key].count, key
    page = community_experts(community=community, viewer=AnonymousUser())
    assert any(t.experts for t in page.tags)


def test_repertoire_rebuilds_to_the_same_interactions(summary):
    community = Community.objects.get(slug="wound-care-nurses")

    def snapshot():
        return set(
            Interaction.objects.filter(community=community).values_list(
                "actor_id", "target_id", "kind", "occurred_at", "source_type_id", "source_id",
                "group_size",
            )
        )  # fmt: skip

    before = snapshot()
    call_command("rebuild_interactions", community.slug, stdout=io.StringIO())
    assert snapshot() == before


def test_second_run_adds_nothing(summary):
    items, reports = Item.objects.count(), Evidence.objects.count()
    again = demo.repertoire_build(communities=list(Community.objects.filter(slug__in=SLUGS)))
    assert again.communities == 0 and again.skipped_communities == len(SLUGS)
    assert (Item.objects.count(), Evidence.objects.count()) == (items, reports)
