"""Levels, trajectories, transitions, Gini fixtures, percentiles and participation figures."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.compute.config import MetricsConfig
from metrics.compute.levels import (
    LEVELS,
    MemberActivity,
    assign_levels,
    brokers,
    level_counts,
    newcomer_retention,
    trajectory,
    trajectory_counts,
    transitions,
)
from metrics.compute.participation import (
    ThreadRecord,
    at_risk_questions,
    continuity,
    posts_per_week,
    response_figures,
)
from metrics.compute.spectrum import indicator_score, spectrum
from metrics.compute.stats import (
    concentration,
    contributor_absence_factor,
    gini,
    percentile,
    top_share,
)
from metrics.compute.ties import DAY

CONFIG = MetricsConfig()
AS_OF = 1_719_792_000.0  # Monday 2024-07-01 00:00 UTC
HOUR = 3600.0

# --- stats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 1, 1, 1], 0.0),  # the guide's fixtures
        ([0, 0, 0, 10], 0.75),  # 2·(4·10)/(4·10) − 5/4
        ([1, 2, 3, 4, 10], 0.4),  # 2·(1+4+9+16+50)/(5·20) − 6/5 = 1.6 − 1.2
        ([10, 4, 3, 2, 1], 0.4),  # order does not matter
        ([5], 0.0),
    ],
)
def test_gini_fixtures(values, expected):
    assert gini(values) == pytest.approx(expected)


def test_gini_undefined_without_contributions():
    assert gini([]) is None
    assert gini([0, 0]) is None


def test_top_shares_and_absence_factor():
    values = [1, 2, 3, 4, 10]  # total 20
    assert top_share(values, 0.10) == pytest.approx(10 / 20)  # ceil(0.5) = 1 member
    assert top_share(values, 0.50) == pytest.approx(17 / 20)  # ceil(2.5) = 3 members
    assert contributor_absence_factor(values) == 1  # 10 ≥ 50 % of 20
    assert contributor_absence_factor([1, 1, 1, 1]) == 2
    assert contributor_absence_factor([]) is None


def test_concentration_states_whether_zeros_count():
    # 3 contributors among 10 members.
    without = concentration([1, 2, 3], members_total=10, config=CONFIG)
    # Gini over [1, 2, 3]: 2·(1+4+9)/(3·6) − 4/3 = 28/18 − 24/18 = 2/9
    assert without["gini_posts"] == pytest.approx(2 / 9)
    assert without["gini_includes_zero"] is False
    # Top 10 % of 10 members = 1 member: 3 of 6 posts.
    assert without["top10_share"] == pytest.approx(0.5)
    with_zero = concentration(
        [1, 2, 3], members_total=10, config=replace(CONFIG, gini_include_zero=True)
    )
    # Zeros for 7 members: x = [0]*7 + [1, 2, 3]: 2·(8+18+30)/(10·6) − 11/10 = 112/60 − 66/60
    assert with_zero["gini_posts"] == pytest.approx(46 / 60)
    assert with_zero["gini_includes_zero"] is True


def test_percentile_is_linear_like_numpy():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    assert percentile([7], 90) == 7
    assert percentile([], 50) is None


# --- levels --------------------------------------------------------------------------------------


def test_levels_rules_first_match_wins():
    members = [
        MemberActivity(1, active_days=30, helps=10, contributions=40, strong_ties=2),  # core
        MemberActivity(2, active_days=30, helps=10, contributions=40, strong_ties=1),  # active
        MemberActivity(3, active_days=7, helps=2, contributions=3),  # active
        MemberActivity(4, active_days=6, helps=5, contributions=9),  # occasional
        MemberActivity(5, active_days=2, presence=4),  # peripheral
        MemberActivity(6),  # dormant
    ]
    levels = assign_levels(members, config=CONFIG)
    assert levels == {
        1: "core",
        2: "active",
        3: "active",
        4: "occasional",
        5: "peripheral",
        6: "dormant",
    }
    assert level_counts(levels) == {
        "core": 1,
        "active": 2,
        "occasional": 1,
        "peripheral": 1,
        "dormant": 1,
    }


def test_levels_small_community_core_fallback():
    # Nobody meets the core rule: the top 10 % of the 11 non-dormant members, ceil(1.1) = 2,
    # by active days + helps, among members with ≥ 6 active days.
    members = [MemberActivity(i, active_days=i, helps=1, contributions=1) for i in range(1, 12)]
    members.append(MemberActivity(99))
    levels = assign_levels(members, config=CONFIG)
    assert [u for u, level in levels.items() if level == "core"] == [10, 11]
    assert levels[99] == "dormant"


activity = st.builds(
    MemberActivity,
    user_id=st.integers(min_value=1, max_value=10_000),
    active_days=st.integers(min_value=0, max_value=90),
    helps=st.integers(min_value=0, max_value=50),
    contributions=st.integers(min_value=0, max_value=80),
    presence=st.integers(min_value=0, max_value=20),
    strong_ties=st.integers(min_value=0, max_value=10),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(activity, max_size=60, unique_by=lambda m: m.user_id))
def test_property_levels_partition_members(members):
    levels = assign_levels(members, config=CONFIG)
    assert set(levels) == {m.user_id for m in members}
    assert all(level in LEVELS for level in levels.values())
    assert sum(level_counts(levels).values()) == len(members)
    for m in members:
        if levels[m.user_id] == "dormant":
            assert m.active_days == m.presence == m.contributions == 0


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.integers(1, 50), st.sampled_from(LEVELS)),
    st.dictionaries(st.integers(1, 50), st.sampled_from(LEVELS)),
)
def test_property_transitions_account_for_everyone(previous, current):
    moves = transitions(previous, current)
    both = len(previous.keys() & current.keys())
    assert moves.moved_up + moves.held + moves.moved_down == both
    assert sum(sum(row.values()) for row in moves.matrix.values()) == both
    assert moves.joined + both == len(current)
    assert moves.left + both == len(previous)


def test_transitions_matrix():
    previous = {1: "core", 2: "active", 3: "peripheral", 4: "dormant"}
    current = {1: "active", 2: "active", 3: "occasional", 5: "peripheral"}
    moves = transitions(previous, current)
    assert (moves.moved_up, moves.held, moves.moved_down, moves.joined, moves.left) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert moves.matrix["core"]["active"] == 1
    assert moves.matrix["peripheral"]["occasional"] == 1
    assert moves.as_dict("2024-06-01T00:00:00+00:00")["from_as_of"] == "2024-06-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (["core", "active", "occasional", "peripheral"], "outbound"),
        (["occasional", "active", "active", "core"], "insider"),
        (["dormant", "peripheral", "occasional"], "inbound"),
        (
            ["peripheral", "occasional", "peripheral", "occasional", "occasional", "peripheral"],
            "peripheral",
        ),
        (["peripheral", "occasional", "peripheral"], ""),  # not yet six snapshots
        (["occasional"], ""),
        ([], ""),
    ],
)
def test_trajectories(history, expected):
    assert trajectory(history, config=CONFIG) == expected


def test_trajectory_boundary():
    assert trajectory(["occasional"], config=CONFIG, communities_occasional=2) == "boundary"
    assert trajectory(["peripheral"], config=CONFIG, broker=True) == "boundary"
    # Insiders stay insiders even when they also span communities.
    history = ["active", "active", "active"]
    assert trajectory(history, config=CONFIG, communities_occasional=3) == "insider"
    assert trajectory_counts({1: "boundary", 2: "", 3: "insider"}) == {
        "inbound": 0,
        "insider": 1,
        "peripheral": 0,
        "outbound": 0,
        "boundary": 1,
    }


def test_newcomer_retention():
    # Cohort: first contribution 90–180 days before as_of.
    first_second = [
        (AS_OF - 150 * DAY, AS_OF - 100 * DAY),  # came back after 50 days
        (AS_OF - 170 * DAY, None),  # never came back
        (AS_OF - 120 * DAY, AS_OF - 10 * DAY),  # came back after 110 days: too late
        (AS_OF - 100 * DAY, AS_OF - 99 * DAY),  # came back next day
        (AS_OF - 30 * DAY, None),  # too recent to judge: not counted
        (AS_OF - 400 * DAY, None),  # not a newcomer of this cohort
    ]
    assert newcomer_retention(first_second, as_of=AS_OF, config=CONFIG) == pytest.approx(2 / 4)
    assert newcomer_retention([], as_of=AS_OF, config=CONFIG) is None


def test_brokers_need_betweenness_and_ties_across_groups():
    betweenness = {u: float(u) for u in range(1, 21)}  # 20 members: top 10 % = 2
    ei = {20: 0.5, 19: -0.2, 18: 1.0}
    assert brokers(betweenness, ei, config=CONFIG) == {20}


# --- participation -------------------------------------------------------------------------------


def test_response_figures():
    since = AS_OF - 30 * DAY
    threads = [
        # answered by a moderator after 2 h, accepted
        ThreadRecord(
            1,
            10,
            AS_OF - 20 * DAY,
            first_response_at=AS_OF - 20 * DAY + 2 * HOUR,
            first_responder_is_moderator=True,
            first_answer_at=AS_OF - 20 * DAY + 2 * HOUR,
            solved_at=AS_OF - 19 * DAY,
        ),
        # a member replied after 10 h, the answer came after 60 h
        ThreadRecord(
            2,
            11,
            AS_OF - 10 * DAY,
            first_response_at=AS_OF - 10 * DAY + 10 * HOUR,
            first_responder_is_moderator=False,
            first_answer_at=AS_OF - 10 * DAY + 60 * HOUR,
        ),
        # a member replied after 50 h (too late for the 48 h rate); no answer
        ThreadRecord(
            3,
            12,
            AS_OF - 5 * DAY,
            first_response_at=AS_OF - 5 * DAY + 50 * HOUR,
            first_responder_is_moderator=False,
        ),
        # 1 day old, no response: asked, not eligible for the 48 h figures
        ThreadRecord(4, 13, AS_OF - 1 * DAY),
        # outside the window; and a discussion, not a question
        ThreadRecord(5, 14, AS_OF - 40 * DAY),
        ThreadRecord(6, 14, AS_OF - 3 * DAY, is_question=False, first_response_at=AS_OF),
    ]
    figures = response_figures(threads, since=since, until=AS_OF, config=CONFIG)
    assert figures["questions_asked"] == 4
    assert figures["questions_answered"] == 2
    assert figures["questions_solved"] == 1
    # eligible (≥ 48 h old): 1, 2, 3; responded within 48 h: 1 and 2 → 2/3
    assert figures["response_rate_48h"] == pytest.approx(2 / 3)
    # response times 2, 10, 50 h: median 10, p90 = 10 + 0.8·(50 − 10) = 42
    assert figures["ttfr_hours"] == {"median": 10.0, "p90": pytest.approx(42.0), "count": 3}
    assert figures["ttfr_by_moderators"]["median"] == 2.0
    # members: 10 and 50 h → median 30
    assert figures["ttfr_by_members"]["median"] == pytest.approx(30.0)
    assert figures["unanswered_over_48h"] == 1  # thread 3
    risky = at_risk_questions(threads, as_of=AS_OF, config=CONFIG)
    assert [row["thread_id"] for row in risky] == [5, 3]
    assert risky[1]["age_hours"] == pytest.approx(120.0)


def test_posts_per_week():
    # AS_OF is a Monday: the last week starts on AS_OF.
    times = [AS_OF, AS_OF + 3 * DAY, AS_OF - 1, AS_OF - 7 * DAY, AS_OF - 30 * DAY, AS_OF + 9 * DAY]
    weeks = posts_per_week(times, as_of=AS_OF + 4 * DAY, weeks=3)
    assert weeks == [
        {"week_start": "2024-06-17", "posts": 0},
        {"week_start": "2024-06-24", "posts": 2},  # AS_OF − 1 s and AS_OF − 7 days
        {"week_start": "2024-07-01", "posts": 2},  # AS_OF and AS_OF + 3 days
    ]


def test_continuity():
    assert continuity({1, 2, 3, 4}, {3, 4, 5}) == 0.5
    assert continuity(set(), {1}) is None


# --- spectrum ------------------------------------------------------------------------------------


def test_indicator_scores_are_linear_between_anchors():
    assert indicator_score(0.05, 0.05, 0.30) == 0.0
    assert indicator_score(0.175, 0.05, 0.30) == pytest.approx(0.5)
    assert indicator_score(0.9, 0.05, 0.30) == 1.0
    assert indicator_score(0.0, 0.05, 0.30) == 0.0
    assert indicator_score(None, 0.05, 0.30) is None


def test_spectrum_reference_points():
    # Zachary's karate club (face to face): transitivity 0.256 at density 0.139 → CoP-like.
    karate = spectrum(
        strong_share=None,
        reciprocity=None,
        transitivity=0.256,
        density=0.139,
        multiplexity=None,
        repeat_pairs=None,
        continuity=None,
        config=CONFIG,
    )
    assert karate["indicators"]["transitivity"]["score"] == 1.0
    assert karate["label"] == "community of practice"
    # MathOverflow (electronic network of practice): clustering ≈ 0.077 → (0.077−0.05)/0.2.
    mo = spectrum(
        strong_share=0.02,
        reciprocity=0.08,
        transitivity=0.077,
        density=0.0004,
        multiplexity=1 / 6,
        repeat_pairs=0.05,
        continuity=0.3,
        config=CONFIG,
    )
    assert mo["indicators"]["transitivity"]["score"] == pytest.approx(0.135)
    # (0 + 0 + 0.135 + 0 + 0 + 0.25) / 6
    assert mo["score"] == pytest.approx(0.385 / 6)
    assert mo["label"] == "network of practice"
    # Transitivity no higher than the density is what chance gives: scored 0.
    dense = spectrum(
        strong_share=None,
        reciprocity=None,
        transitivity=0.5,
        density=0.6,
        multiplexity=None,
        repeat_pairs=None,
        continuity=None,
        config=CONFIG,
    )
    assert dense["indicators"]["transitivity"]["score"] == 0.0
    empty = spectrum(
        strong_share=None,
        reciprocity=None,
        transitivity=None,
        density=None,
        multiplexity=None,
        repeat_pairs=None,
        continuity=None,
        config=CONFIG,
    )
    assert (empty["score"], empty["label"]) == (None, None)
