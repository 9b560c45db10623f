"""The pipeline end to end on a small hand-made community: every figure worked out by hand."""

import math
from datetime import timedelta
from unittest import mock

import pytest

from metrics import selectors, services
from metrics.compute.pairs import merge, reference_time
from metrics.models import MemberMetrics, MetricsSnapshot, MetricsState, NetworkEdge, TieStrength
from metrics.pipeline import retention, store
from tests.metrics.pipeline_fixtures import T, build_karate, build_smallville, frozen

pytestmark = pytest.mark.django_db

DAY = 86400.0
HALF_LIFE = 90 * DAY


def compute(community, moment=T, **kwargs):
    with frozen(moment):
        return services.metrics_compute(community_id=community.pk, **kwargs)


def decayed(weight, age_seconds):
    return weight * 2 ** (-age_seconds / HALF_LIFE)


def hand_score(i_ab, i_ba, channels, span_days):
    """The tie score of docs/METRICS.md, written out independently of metrics.compute."""
    f = 1 - math.exp(-(i_ab + i_ba) / 4)
    f_r = 1 - math.exp(-2 * min(i_ab, i_ba) / 4)
    return f * (0.3 + 0.2 * channels / 6 + 0.2 * min(1.0, span_days / 365)) + 0.3 * f_r


@pytest.fixture
def village():
    return build_smallville()


def test_pipeline_windows_match_hand_figures(village):
    data = compute(village.community).data

    week, month, quarter = data["windows"]["7"], data["windows"]["30"], data["windows"]["90"]
    assert (week["members_total"], week["members_active"], week["members_new"]) == (5, 1, 0)
    assert week["posts"] == 1  # Q2
    assert (week["questions_asked"], week["questions_answered"], week["questions_solved"]) == (
        1,
        0,
        0,
    )
    assert week["response_rate_48h"] == 0.0  # Q2 is over 48 h old and nobody answered
    assert week["unanswered_over_48h"] == 1
    assert week["ttfr_hours"] == {"median": None, "p90": None, "count": 0}

    assert (month["members_active"], month["posts"]) == (4, 4)  # Q1 + two answers + Q2
    assert (month["questions_asked"], month["questions_answered"], month["questions_solved"]) == (
        2,
        1,
        1,
    )
    assert month["response_rate_48h"] == 0.5
    assert month["ttfr_hours"] == {"median": 3.0, "p90": 3.0, "count": 1}  # ana, 3 h
    assert month["ttfr_by_moderators"]["median"] == 3.0
    assert month["ttfr_by_members"]["count"] == 0
    # Posts per member in 30 days: ben 1, ana 1, cai 2 -> Gini 1/6; top 10 % of 5 = 1 member.
    assert month["gini_posts"] == pytest.approx(1 / 6)
    assert month["top10_share"] == 0.5
    assert month["contributor_absence_factor"] == 1

    assert (quarter["members_active"], quarter["posts"]) == (4, 6)  # + D1 and ben's reply
    assert quarter["gini_posts"] == pytest.approx(0.0)  # two posts each
    assert quarter["top10_share"] == pytest.approx(2 / 6)
    assert quarter["repertoire_total"] == 0


def test_pipeline_series_levels_and_risks(village):
    data = compute(village.community).data

    weeks = {w["week_start"]: w["posts"] for w in data["posts_per_week"]}
    assert len(data["posts_per_week"]) == 26
    assert data["posts_per_week"][-1] == {"week_start": "2026-03-09", "posts": 1}
    assert weeks["2026-03-02"] == 3
    assert weeks["2026-02-02"] == 2
    assert sum(weeks.values()) == 6

    assert data["levels"] == {
        "core": 0,
        "active": 0,
        "occasional": 3,
        "peripheral": 1,
        "dormant": 1,
    }
    assert data["transitions"]["from_as_of"] is None
    assert data["transitions"]["joined"] == 5
    assert data["at_risk_questions"] == [
        {"thread_id": village.q2.pk, "title": "Compression after a fall?", "age_hours": 74.0}
    ]


def test_pipeline_member_rows(village):
    snapshot = compute(village.community)

    rows = {r.user.username: r for r in selectors.member_rows(snapshot)}
    assert set(rows) == {"ana", "ben", "cai", "dee", "eve"}
    assert {n: r.level for n, r in rows.items()} == {
        "ana": "occasional",
        "ben": "occasional",
        "cai": "occasional",
        "dee": "dormant",
        "eve": "peripheral",
    }
    for name in ("ana", "ben", "cai"):
        assert (rows[name].active_days, rows[name].helps, rows[name].contributions) == (2, 1, 2)
    assert (rows["eve"].active_days, rows["eve"].presence, rows["eve"].contributions) == (1, 1, 0)
    assert rows["ben"].degree == 2 and rows["ben"].betweenness == pytest.approx(1 / 6)
    assert rows["dee"].degree == 0
    village.ana.profile.refresh_from_db()
    assert rows["ana"].professional_group_id == village.ana.profile.professional_group_id
    assert all(0 <= r.x <= 1 and 0 <= r.y <= 1 for r in rows.values())


def test_pipeline_ties_match_hand_formula(village):
    compute(village.community)

    ana_ben_reply = decayed(1, 40 * DAY + 3600)  # ben -> ana, T-40d-1h
    ana_ben_answer = decayed(2, 10 * DAY)  # ana -> ben, T-10d
    cai_ben_answer = decayed(2, 10 * DAY - 3 * 3600)  # cai -> ben
    ben_cai_accept = decayed(3, 9 * DAY + 3 * 3600)  # ben -> cai
    eve_ana_vote = decayed(0.25, 9 * DAY + 2 * 3600)
    expected = {
        ("ana", "ben"): hand_score(ana_ben_answer, ana_ben_reply, 2, (30 * DAY + 3600) / DAY),
        ("ben", "cai"): hand_score(ben_cai_accept, cai_ben_answer, 1, (18 * 3600) / DAY),
        ("ana", "eve"): hand_score(0.0, eve_ana_vote, 1, 0.0),
    }
    ties = {
        tuple(sorted((t.user_a.username, t.user_b.username))): t
        for t in TieStrength.objects.select_related("user_a", "user_b")
    }
    assert set(ties) == set(expected)
    for pair, score in expected.items():
        assert ties[pair].score == pytest.approx(score, rel=1e-9), pair
        assert ties[pair].last_at < T
    # The sums are scaled to one reference time for the whole table: the start of its era.
    ref = MetricsState.objects.get(community=village.community).ties_ref_at
    assert ref <= T and (T - ref).total_seconds() < 4 * HALF_LIFE
    assert ties[("ana", "eve")].tie_class == "latent"  # one vote: cheap
    assert ties[("ana", "ben")].tie_class == "weak"
    assert ties[("ben", "cai")].tie_class == "weak"
    assert ties[("ana", "ben")].multiplexity == pytest.approx(2 / 6)


def test_pipeline_network_matches_hand_figures(village):
    network = compute(village.community).data["network"]

    # Edges: ana-ben and ben-cai (weak); eve's vote is latent; dee and eve are isolates.
    assert (network["nodes"], network["edges"]) == (5, 2)
    assert network["density"] == pytest.approx(0.2)
    assert (network["components"], network["isolates"]) == (3, 2)
    assert network["giant_component_share"] == pytest.approx(0.6)
    assert network["reciprocity"] == 1.0  # both ties were used both ways
    assert network["transitivity"] == 0.0
    # Nurses ana, ben; doctors cai, dee, eve: one tie inside, one across.
    assert network["ei_index"] == 0.0
    assert network["ei_baseline"] == pytest.approx((6 - 4) / 10)
    assert network["top_brokers"] == [
        {
            "user_id": village.ben.pk,
            "betweenness": pytest.approx(1 / 6),
            "degree": 2,
            "group": "Nurses",
        }
    ]


def test_pipeline_run_twice_gives_identical_data(village):
    first = compute(village.community)
    first_data = dict(first.data)
    first_rows = list(MemberMetrics.objects.order_by("user_id").values())
    first_ties = list(TieStrength.objects.order_by("user_a_id", "user_b_id").values())

    second = compute(village.community, T - timedelta(seconds=40))  # rounds up to T

    assert second.pk == first.pk
    assert MetricsSnapshot.objects.count() == 1
    second.refresh_from_db()
    for key in ("computed_at", "duration_ms"):
        first_data.pop(key), second.data.pop(key)
    first_data.pop("run"), second.data.pop("run")
    assert second.data == first_data
    strip = [{k: v for k, v in r.items() if k not in ("id", "snapshot_id")} for r in first_rows]
    assert [
        {k: v for k, v in r.items() if k not in ("id", "snapshot_id")}
        for r in MemberMetrics.objects.order_by("user_id").values()
    ] == strip
    assert [
        {k: v for k, v in r.items() if k != "id"}
        for r in TieStrength.objects.order_by("user_a_id", "user_b_id").values()
    ] == [{k: v for k, v in r.items() if k != "id"} for r in first_ties]


def test_pipeline_incremental_run_equals_full_run(village):
    from tests.practice.factories import answer

    compute(village.community)  # full: first run
    state = MetricsState.objects.get(community=village.community)
    watermark = state.interactions_watermark
    with frozen(T + timedelta(hours=1)):
        answer(village.q2, village.dee, body="Wrap it.")
        answer(village.q2, village.ana, body="Elevate.")

    later = T + timedelta(hours=2)
    incremental = compute(village.community, later)
    assert incremental.data["run"]["full"] is False
    state.refresh_from_db()
    assert state.interactions_watermark > watermark

    def intensities_at(moment):
        ref = MetricsState.objects.get(community=village.community).ties_ref_at
        return {
            (t.user_a_id, t.user_b_id): (
                decayed(math.ldexp(t.units_ab, -40), (moment - ref).total_seconds()),
                decayed(math.ldexp(t.units_ba, -40), (moment - ref).total_seconds()),
            )
            for t in TieStrength.objects.all()
        }

    folded = intensities_at(later)
    # Ana answered Q2, ben did not: only the pairs the new rows touched changed their state.
    lasts = dict(TieStrength.objects.values_list("user_a", "last_at").filter(user_b=village.cai))
    assert lasts[village.ana.pk] == T + timedelta(hours=1)
    assert lasts[village.ben.pk] < T
    folded_data = incremental.data

    full = compute(village.community, later, full=True)
    assert full.data["run"]["full"] is True
    rebuilt = intensities_at(later)
    assert set(rebuilt) == set(folded)
    for key, values in rebuilt.items():
        assert folded[key] == values
    for key in ("levels", "ties", "windows", "transitions", "trajectories"):
        assert full.data[key] == folded_data[key]


def _run_figures(snapshot):
    """What a run computed, apart from the run's own description: the data, every member's
    figures and position, and the snapshot's network edges with their scores."""
    data = {
        k: v for k, v in snapshot.data.items() if k not in ("computed_at", "duration_ms", "run")
    }
    members = list(
        MemberMetrics.objects.filter(snapshot=snapshot)
        .order_by("user_id")
        .values_list("user_id", "strength", "betweenness", "degree", "level", "x", "y")
    )
    edges = list(
        NetworkEdge.objects.filter(snapshot=snapshot)
        .order_by("user_a_id", "user_b_id")
        .values_list("user_a_id", "user_b_id", "score", "tie_class", "reciprocity")
    )
    return data, members, edges


def test_pipeline_incremental_run_is_bit_identical_to_a_full_run():
    """A run, new interactions, an incremental run: the same bits as a full run over the same
    log at the same moment (member strengths, tie scores, layout, every figure)."""
    karate = build_karate()
    with frozen(T):
        services.metrics_compute(community_id=karate.community.pk)
    karate.answers(T + timedelta(hours=3))
    with frozen(T + timedelta(hours=4)):
        incremental = services.metrics_compute(community_id=karate.community.pk)
        assert incremental.data["run"]["full"] is False
        folded = _run_figures(incremental)
        full = services.metrics_compute(community_id=karate.community.pk, full=True)
    assert full.pk == incremental.pk and full.data["run"]["full"] is True
    rebuilt = _run_figures(full)

    for (u, *figures), (v, *expected) in zip(folded[1], rebuilt[1], strict=True):
        assert (u, figures) == (v, expected)
    assert folded[2] == rebuilt[2]
    assert len(rebuilt[2]) == rebuilt[0]["network"]["edges"] > 40
    assert folded[0] == rebuilt[0]


def test_pipeline_layout_of_an_unchanged_network_stays_put():
    """Hours pass, nobody interacts: every score decays a little, no tie changes class, and the
    drawing does not move."""
    karate = build_karate()
    with frozen(T):
        first = services.metrics_compute(community_id=karate.community.pk)
    with frozen(T + timedelta(hours=5)):
        later = services.metrics_compute(community_id=karate.community.pk)
    before, after = _run_figures(first), _run_figures(later)
    assert [e[:2] + e[3:4] for e in before[2]] == [e[:2] + e[3:4] for e in after[2]]
    assert before[2] != after[2]  # the scores did decay
    positions = [(u, x, y) for u, *_, x, y in before[1]]
    assert positions == [(u, x, y) for u, *_, x, y in after[1]]
    assert all(x is not None for _, x, _ in positions)


def test_pipeline_failure_mid_run_leaves_previous_result(village, monkeypatch):
    from tests.practice.factories import answer

    good = compute(village.community)
    ties_before = list(TieStrength.objects.order_by("pk").values())
    state_before = MetricsState.objects.values().get(community=village.community)
    with frozen(T + timedelta(hours=1)):
        answer(village.q2, village.dee, body="Wrap it.")

    write_ties = store.write_ties

    def explode(plan, result):  # the tie table written, inside the run's transaction
        write_ties(plan, result)
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "write_ties", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        compute(village.community, T + timedelta(hours=2))

    assert list(MetricsSnapshot.objects.values_list("pk", flat=True)) == [good.pk]
    assert selectors.latest_snapshot(village.community) == good
    assert MemberMetrics.objects.exclude(snapshot=good).count() == 0
    assert list(TieStrength.objects.order_by("pk").values()) == ties_before
    state = MetricsState.objects.get(community=village.community)
    assert state.interactions_watermark == state_before["interactions_watermark"]
    assert state.ties_as_of == state_before["ties_as_of"]
    assert state.last_error == "RuntimeError: disk full"

    monkeypatch.setattr(store, "write_ties", write_ties)
    recovered = compute(village.community, T + timedelta(hours=2))
    assert recovered.data["windows"]["7"]["posts"] == 2
    assert MetricsState.objects.get(community=village.community).last_error == ""


def test_pipeline_retraction_rebuilds_ties(village):
    from practice.services import endorsements

    compute(village.community)
    assert TieStrength.objects.filter(user_b=village.eve).exists()
    ana_answer = village.q1.posts.get(author=village.ana)
    with frozen(T + timedelta(minutes=5)):
        endorsements.vote_set(post=ana_answer, voter=village.eve, helpful=False)
    state = MetricsState.objects.get(community=village.community)
    assert state.full_requested_at is not None

    snapshot = compute(village.community, T + timedelta(minutes=10))

    assert snapshot.data["run"]["full"] is True
    assert not TieStrength.objects.filter(user_b=village.eve).exists()
    state.refresh_from_db()
    assert state.full_requested_at is None


def test_pipeline_history_uses_the_log_up_to_each_moment(village):
    with frozen(T):
        snapshots = services.metrics_compute_history(community_id=village.community.pk, months=2)

    february, march = T.replace(month=2, day=1, hour=0), T.replace(day=1, hour=0)
    assert [s.as_of for s in snapshots] == [february, march, T]
    before, after_d1, now = (s.data for s in snapshots)
    assert before["windows"]["90"]["posts"] == 0
    assert before["levels"]["dormant"] == 5
    assert after_d1["windows"]["90"]["posts"] == 2  # D1 and ben's reply, 2026-02-03
    assert after_d1["levels"]["occasional"] == 2  # ana and ben
    assert after_d1["network"]["edges"] == 0  # one reply: a latent tie
    assert now["windows"]["90"]["posts"] == 6
    # Transitions compare with the snapshot a month before (at or before 2026-02-15).
    assert now["transitions"]["from_as_of"] == february.isoformat()
    assert now["transitions"]["moved_up"] == 4  # all but dee were dormant on February 1
    assert now["transitions"]["held"] == 1
    assert now["transitions"]["matrix"]["dormant"]["occasional"] == 3
    # A past run leaves the tie table (which belongs to "now") alone.
    assert MetricsState.objects.get(community=village.community).ties_as_of == T

    again = [s.pk for s in services.metrics_compute_history(
        community_id=village.community.pk, months=2, now=T
    )]  # fmt: skip
    assert again == [s.pk for s in snapshots]  # the same moments: replaced, not added


def test_pipeline_member_who_left_later_counts_in_the_past(village):
    from communities import services as community_services

    with frozen(T - timedelta(days=1)):
        community_services.membership_leave(community=village.community, user=village.dee)

    past = compute(village.community, T - timedelta(days=2))
    now = compute(village.community, T)

    assert past.data["windows"]["90"]["members_total"] == 5
    assert now.data["windows"]["90"]["members_total"] == 4


def test_snapshots_prune_keeps_recent_daily_and_monthly(village):
    from communities.models import Community

    def make(at):
        return MetricsSnapshot.objects.create(
            community=village.community, as_of=at, computed_at=at, data={}
        ).pk

    recent = [make(T - timedelta(hours=h)) for h in (1, 5, 30)]  # within 2 days: all kept
    day_late, day_early = make(T - timedelta(days=5, hours=1)), make(T - timedelta(days=5, hours=9))
    month_late = make(T - timedelta(days=200))
    month_early = make(T - timedelta(days=205))  # same month (2025-08) as month_late

    removed = retention.snapshots_prune(community_id=village.community.pk, now=T)

    kept = set(MetricsSnapshot.objects.values_list("pk", flat=True))
    assert removed == 2
    assert kept == {*recent, day_late, month_late}
    assert day_early not in kept and month_early not in kept
    assert Community.objects.filter(pk=village.community.pk).exists()


def test_collect_sql_aggregation_equals_the_row_by_row_fold(village):
    """The per-pair GROUP BY (with exp in SQL) gives the states of metrics.compute's row fold;
    each, folding in the rows after a watermark, gives exactly its full fold's states."""
    import random

    from django.contrib.contenttypes.models import ContentType

    from communities.models import Interaction
    from metrics import collect
    from metrics.compute.ties import KINDS
    from metrics.conf import metrics_config

    rng = random.Random(7)
    people = [village.ana, village.ben, village.cai, village.dee, village.eve]
    source_type = ContentType.objects.get_for_model(village.community)
    Interaction.objects.bulk_create(
        Interaction(
            community=village.community,
            actor=actor,
            target=target,
            kind=rng.choice(KINDS),
            occurred_at=T - timedelta(seconds=rng.uniform(0, 900 * DAY)),
            group_size=rng.randint(2, 12),
            source_type=source_type,
            source_id=i,
        )
        for i, (actor, target) in enumerate(
            rng.sample([(a, b) for a in people for b in people if a != b], 1)[0] for _ in range(400)
        )
    )
    config = metrics_config()
    upto = collect.log_high_water(village.community.pk)
    ref = reference_time(T.timestamp(), config)

    def aggregate(*, after_pk=0, upto_pk=upto):
        return collect.log_pair_table(
            village.community.pk,
            after_pk=after_pk,
            upto_pk=upto_pk,
            until=None,
            ref=ref,
            config=config,
        )

    assert collect.sql_aggregation_available()
    by_sql = aggregate()
    with mock.patch.object(collect, "sql_aggregation_available", return_value=False):
        by_row = aggregate()
        # Incremental: only the rows after the watermark, their sums added to their pairs'.
        folded, touched = merge(aggregate(upto_pk=upto - 3), aggregate(after_pk=upto - 3))
    assert folded.equals(by_row)
    assert 0 < len(touched) < len(by_row)
    folded_sql, touched_sql = merge(aggregate(upto_pk=upto - 3), aggregate(after_pk=upto - 3))
    assert folded_sql.equals(by_sql)
    assert touched_sql.tolist() == touched.tolist()
    # The database's exp and the C library's give the same units, row for row.
    assert by_sql.equals(by_row)


@pytest.mark.postgres
def test_full_run_on_postgresql_writes_only_changed_ties(village):
    from tests.practice.factories import answer

    compute(village.community)
    before = {(t["user_a_id"], t["user_b_id"]): t for t in TieStrength.objects.values()}

    compute(village.community, T + timedelta(hours=1), full=True)  # nothing new: nothing written
    assert {(t["user_a_id"], t["user_b_id"]): t for t in TieStrength.objects.values()} == before

    with frozen(T + timedelta(hours=2)):
        answer(village.q2, village.dee, body="Wrap it.")
    snapshot = compute(village.community, T + timedelta(hours=3), full=True)

    after = {(t["user_a_id"], t["user_b_id"]): t for t in TieStrength.objects.values()}
    new_pair = (village.cai.pk, village.dee.pk)
    assert set(after) == set(before) | {new_pair}
    assert after[new_pair]["last_at"] == T + timedelta(hours=2)  # the pair's last contact
    for key, row in before.items():
        assert after[key] == row  # same id, same state, score within 0.01: left alone
    assert snapshot.data["ties"]["pairs"] == 4


def test_a_row_dated_decades_ahead_neither_overflows_nor_differs_between_sql_and_python(village):
    """A misdated interaction (an imported message dated 2066, say) once made the SQL sums
    overflow 64 bits ("bigint out of range") and the whole run fail; it now counts as if dated
    at the end of the table's era, the same in SQL and row by row."""
    from django.contrib.contenttypes.models import ContentType

    from communities.models import Interaction
    from metrics import collect
    from metrics.compute.pairs import ERA_HALF_LIVES
    from metrics.conf import metrics_config

    config = metrics_config()
    era = timedelta(days=ERA_HALF_LIVES * config.half_life_days)
    Interaction.objects.bulk_create(
        Interaction(
            community=village.community,
            actor=village.ana,
            target=village.eve,
            kind="answer",
            occurred_at=at,
            group_size=2,
            source_type=ContentType.objects.get_for_model(village.community),
            source_id=90_000 + i,
        )
        for i, at in enumerate([T + timedelta(days=40 * 365), T + 2 * era, T + era])
    )
    ref = reference_time(T.timestamp(), config)

    def aggregate():
        return collect.log_pair_table(
            village.community.pk,
            after_pk=0,
            upto_pk=collect.log_high_water(village.community.pk),
            until=None,
            ref=ref,
            config=config,
        )

    by_sql = aggregate()
    with mock.patch.object(collect, "sql_aggregation_available", return_value=False):
        by_row = aggregate()
    assert by_sql.equals(by_row)
    snapshot = compute(village.community, full=True)  # raised before
    assert snapshot.data["ties"]["pairs"] >= 1


def test_store_edges_are_the_run_edges_exactly():
    """The snapshot's stored edges (a binary COPY on PostgreSQL) are the run's edges to the last
    bit, strong and weak alike, written in key order; deleting the snapshot deletes them and its
    member rows, though the database holds no foreign key from either to it."""
    from metrics.pipeline.plan import plan_run
    from metrics.pipeline.run import compute_run

    karate = build_karate()
    with frozen(T):
        plan = plan_run(community_id=karate.community.pk, as_of=T, full=False, now=T)
        result = compute_run(plan)
        snapshot = store.store_result(plan, result, started=0.0)
    stored = list(
        NetworkEdge.objects.filter(snapshot=snapshot)
        .order_by("user_a_id", "user_b_id")
        .values_list(
            "user_a_id", "user_b_id", "score", "tie_class", "reciprocity", "multiplexity",
            "duration",
        )
    )  # fmt: skip
    expected = [
        (t.a, t.b, t.score, t.tie_class, t.reciprocity, t.multiplexity, t.duration)
        for t in result.edges
    ]
    assert stored == expected
    assert {t.tie_class for t in result.edges} >= {"strong", "weak"}
    # Written in key order, strong and weak interleaved (the unique index receives ascending
    # keys): the ids follow the pairs.
    by_id = NetworkEdge.objects.filter(snapshot=snapshot).order_by("pk")
    assert list(by_id.values_list("user_a_id", "user_b_id")) == [row[:2] for row in stored]

    MetricsSnapshot.objects.filter(pk=snapshot.pk).delete()
    assert not NetworkEdge.objects.filter(snapshot_id=snapshot.pk).exists()
    assert not MemberMetrics.objects.filter(snapshot_id=snapshot.pk).exists()
