"""The participation reads of a run (``metrics.pipeline.participation``): the thread records read
with epochs from PostgreSQL, and posts per day and contributors taken from the run's activity,
give what the plain reads give."""

from datetime import timedelta

import pytest

from metrics import collect
from metrics.pipeline import participation
from metrics.pipeline.times import midnight, window_start
from practice.models import Post
from practice.services import endorsements, moderation
from tests.factories import CommunityFactory, make_member
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen
from tests.practice.factories import answer, ask, discuss

pytestmark = pytest.mark.django_db(transaction=False)

H = 3600.0
DAY = 24 * H


def _village_with_edge_cases():
    """Smallville plus: Ben's answer to his own question, a reply hidden, a discussion 120 days
    back (before the 90-day activity window, inside the 26 weeks of posts per week)."""
    village = build_smallville()
    day = T.replace(hour=0)
    with frozen(day - timedelta(days=10) + timedelta(hours=10)):
        answer(village.q1, village.ben, body="Own reply: never a response.")
    with frozen(day - timedelta(days=3) + timedelta(hours=11)):
        hidden = answer(village.q2, village.eve, body="Hidden: never a response.")
    with frozen(day - timedelta(days=120) + timedelta(hours=8)):
        discuss(village.community, village.cai, title="Older")
    with frozen(T - timedelta(hours=1)):
        moderation.content_hide(post=hidden, by=village.ana)
    return village


def test_thread_records_epochs_and_responses():
    village = _village_with_edge_cases()
    records = participation.thread_records(
        village.community.pk,
        since=window_start(T, 90),
        until=T,
        moderator_ids={village.ana.pk},
    )
    t0 = midnight(T).timestamp()
    q1 = next(r for r in records if r.thread_id == village.q1.pk)
    assert q1.created_at == t0 - 10 * DAY + 9 * H
    assert type(q1.created_at) is float
    assert q1.first_response_at == t0 - 10 * DAY + 12 * H  # Ana, not Ben's own reply
    assert q1.first_responder_is_moderator is True
    assert q1.first_answer_at == t0 - 10 * DAY + 12 * H
    assert q1.solved_at == t0 - 9 * DAY + 9 * H
    q2 = next(r for r in records if r.thread_id == village.q2.pk)
    assert (q2.first_response_at, q2.first_responder_is_moderator, q2.first_answer_at) == (
        None,
        None,
        None,
    )  # Eve's reply is hidden
    d1 = next(r for r in records if r.thread_id == village.d1.pk)
    assert d1.is_question is False and d1.first_responder_is_moderator is False
    assert [r.thread_id for r in records] == sorted(
        [village.d1.pk, village.q1.pk, village.q2.pk]
    )  # the older discussion is outside the window
    # Accepted after the as-of: not solved then.
    before_accept = participation.thread_records(
        village.community.pk,
        since=window_start(T, 90),
        until=midnight(T) - timedelta(days=9, hours=-8),
        moderator_ids={village.ana.pk},
    )
    assert next(r for r in before_accept if r.thread_id == village.q1.pk).solved_at is None


def test_thread_records_sql_and_orm_reads_agree(monkeypatch):
    """On PostgreSQL the SQL of its own; the ORM's read (SQLite) gives the same records."""
    village = _village_with_edge_cases()
    arguments = {"since": window_start(T, 90), "until": T, "moderator_ids": {village.ana.pk}}
    first = participation.thread_records(village.community.pk, **arguments)
    monkeypatch.setattr(participation, "_reads_in_sql", lambda: False)
    assert participation.thread_records(village.community.pk, **arguments) == first


@pytest.mark.parametrize("hours_back", [0, 30, 24 * 95])
def test_posts_per_day_and_contributors_from_activity_equal_the_reads(hours_back):
    village = _village_with_edge_cases()
    as_of = T - timedelta(hours=hours_back, minutes=7)
    since = window_start(as_of, 90)
    activity = collect.member_activity(village.community.pk, since=since, until=as_of)
    weeks_since = midnight(as_of) - timedelta(days=7 * 26 + 7)
    read = collect.posts_per_day(village.community.pk, since=weeks_since, until=as_of)
    derived = participation.posts_per_day(
        activity, village.community.pk, since=weeks_since, until=as_of
    )
    assert sorted(derived) == sorted(read)
    assert (
        sum(n for _, n in read)
        == Post.objects.filter(
            community=village.community, is_hidden=False, created_at__lte=as_of
        ).count()
    )
    until = as_of + timedelta(microseconds=1)
    posted = (u for u, s in activity.summary(since.timestamp()).items() if s["posts"])
    assert participation.contributors_from(
        posted, village.community.pk, since=since, until=until
    ) == collect.contributors_between(village.community.pk, since=since, until=until)


def test_posts_per_day_reads_everything_off_midnight():
    """A range that does not start at a UTC midnight is read whole (no day split in two)."""
    village = _village_with_edge_cases()
    activity = collect.member_activity(village.community.pk, since=window_start(T, 90), until=T)
    since = T - timedelta(days=40, hours=2)  # 10:00, between D1's opening and Ben's reply
    assert participation.posts_per_day(
        activity, village.community.pk, since=since, until=T
    ) == collect.posts_per_day(village.community.pk, since=since, until=T)
    assert sum(n for _, n in collect.posts_per_day(village.community.pk, since=since, until=T)) > 0


@pytest.mark.parametrize(
    ("days_back", "expected"),
    [
        # Everyone's first post is in the window; Eve's only post is hidden.
        (
            130,
            {
                "ana": (-40 * DAY + 9 * H, -10 * DAY + 12 * H),
                "ben": (-40 * DAY + 11 * H, -10 * DAY + 9 * H),
                "cai": (-120 * DAY + 8 * H, -10 * DAY + 15 * H),
            },
        ),
        # Everyone who posts since posted before: no newcomer.
        (20, {}),
    ],
)
def test_first_and_second_posts_of_newcomers(days_back, expected):
    village = _village_with_edge_cases()
    since = T - timedelta(days=days_back)
    found = participation.first_and_second_posts(village.community.pk, until=T, since=since)
    t0 = midnight(T).timestamp()
    assert sorted(found) == sorted((t0 + a, t0 + b) for a, b in expected.values())
    assert sorted(found) == sorted(
        collect.first_and_second_posts(village.community.pk, until=T, since=since)
    )


def test_repertoire_counts_worked_reports_on_its_own_posts_only():
    """ "Worked for me" per day: the community's reports that say it worked, none of another's."""
    village = build_smallville()
    elsewhere = CommunityFactory(name="Elsewhere", slug="elsewhere")
    make_member(elsewhere, village.ben)
    other = make_member(elsewhere).user
    with frozen(T - timedelta(days=2)):
        there = answer(ask(elsewhere, other, title="Elsewhere?"), village.ben)
    cai_answer = Post.objects.get(thread=village.q1, author=village.cai)
    ana_answer = Post.objects.get(thread=village.q1, author=village.ana)
    at = T - timedelta(days=5)
    endorsements.adoption_report(post=cai_answer, member=village.ben, worked=True, at=at)
    endorsements.adoption_report(post=cai_answer, member=village.eve, worked=True, at=at)
    endorsements.adoption_report(post=ana_answer, member=village.dee, worked=False, at=at)
    endorsements.adoption_report(post=there, member=other, worked=True, at=at)
    found = collect.repertoire(village.community.pk, since=window_start(T, 90), until=T)
    assert found.worked_per_day == {midnight(at).timestamp(): 2}
    assert collect.repertoire(elsewhere.pk, since=window_start(T, 90), until=T).worked_per_day == {
        midnight(at).timestamp(): 1
    }
