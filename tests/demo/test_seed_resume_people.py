"""``seed_demo`` stopped while it writes the people and communities, or the search index, and run
again later, ends as one uninterrupted seed does (``demo.fingerprint``), from the moment the
first run kept in its marker.

Each seed runs in a savepoint rolled back at the end; a stop is an exception raised from inside
one of the phase's transactions (what SIGTERM and Ctrl-C raise), which are savepoints here.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from communities.models import Community, Membership
from demo import communities as demo
from demo.fingerprint import database_fingerprint, fingerprint_differences
from demo.management.commands import seed_demo
from demo.models import SeedResume
from demo.timeline import BuildSummary
from tests.demo.seed_helpers import Stopped, stop_at

# SQLite rolls back its id counters with the savepoints, so both seeds number rows alike.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
SHIFT = timedelta(days=5)  # each run again comes days later: the marker keeps the moment


def _seed(*, stops=(), checks=lambda: None) -> dict:
    moment = timezone.now() - timedelta(minutes=1)
    with transaction.atomic():
        for stop in stops:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(timezone, "now", lambda moment=moment: moment)
                stop(patch)
                with pytest.raises(Stopped):
                    call_command("seed_demo", "--no-activity", stdout=io.StringIO())
            checks()
            moment += SHIFT
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(timezone, "now", lambda moment=moment: moment)
            call_command("seed_demo", "--no-activity", stdout=io.StringIO())
        assert not SeedResume.objects.exists()
        fingerprint = database_fingerprint()
        transaction.set_rollback(True)
    return fingerprint


def test_seed_stopped_in_people_and_search_index_then_run_again_equals_one_seed():
    whole = _seed()
    seen = []

    def checks():
        seen.append(
            (
                Community.objects.filter(slug__in=demo.DEMO_SLUGS).count(),
                Membership.objects.count(),
                SeedResume.objects.get(name=seed_demo.SEED_MARKER).now,
            )
        )

    stopped = _seed(
        stops=[
            # Among the people (the second batch), in the fourth community, in the index.
            lambda patch: stop_at(patch, demo, "_ensure_user", 45),
            lambda patch: stop_at(patch, demo, "_build_community", 4),
            lambda patch: stop_at(patch, seed_demo, "search_index_rebuild_community", 3),
        ],
        checks=checks,
    )

    assert fingerprint_differences(whole, stopped) == []
    assert whole["communities.Membership"]["rows"] > 500
    # Each stop left what its transactions had committed, and the first run's moment.
    assert [communities for communities, _m, _at in seen] == [0, 3, len(demo.DEMO_SLUGS)]
    assert 0 < seen[1][1] < seen[2][1]
    assert len({at for *_rest, at in seen}) == 1


def test_seed_run_again_lays_the_demo_out_from_the_stopped_seeds_moment(monkeypatch):
    stopped_at = timezone.now() - timedelta(days=4)
    SeedResume.objects.create(name=seed_demo.SEED_MARKER, now=stopped_at)
    told = []

    def build(**kwargs):
        told.append(kwargs["now"])
        return BuildSummary()

    monkeypatch.setattr(seed_demo, "activity_build", build)
    monkeypatch.setattr(seed_demo, "repertoire_build", build)
    monkeypatch.setattr(
        demo, "demo_build", lambda **kwargs: told.append(kwargs["now"]) or demo.Summary()
    )
    call_command("seed_demo", "--no-metrics", stdout=io.StringIO())

    assert told == [stopped_at] * 3
    assert not SeedResume.objects.exists()  # finished: the next seed takes its own moment
