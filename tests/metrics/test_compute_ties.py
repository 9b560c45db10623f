"""Tie strength: calibration points of the guide and the invariants, as hypothesis properties."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.compute.config import MetricsConfig
from metrics.compute.ties import (
    CHANNELS,
    DAY,
    KINDS,
    PairState,
    decay,
    month_number,
    pair_key,
    pair_states,
    row_weight,
    score_all,
    score_pair,
    tie_summary,
)

CONFIG = MetricsConfig()
AS_OF = 1_719_792_000.0  # 2024-07-01 00:00 UTC


def scores_of(rows, as_of=AS_OF, config=CONFIG):
    """Return ``{(a, b): TieScore}`` of a log folded in one batch at *as_of*."""
    states = pair_states(rows, config=config)
    return {(t.a, t.b): t for t in score_all(states.values(), as_of=as_of, config=config)}


def one(rows, as_of=AS_OF):
    """Return the single tie of a log about one pair."""
    (score,) = scores_of(rows, as_of).values()
    return score


# --- calibration points of the guide (docs/METRICS.md, "Calibration") -------------------------


def test_calibration_reciprocal_quarterly_for_a_year_is_strong():
    # A reply each way every quarter, five times over a year: ≈ 0.53 in the guide.
    rows = [
        r
        for k in range(5)
        for r in (
            (1, 2, "reply", AS_OF - k * 90 * DAY, 2),
            (2, 1, "reply", AS_OF - k * 90 * DAY, 2),
        )
    ]
    tie = one(rows)
    assert tie.score == pytest.approx(0.53, abs=0.03)
    assert tie.tie_class == "strong"


def test_calibration_one_way_monthly_help_for_a_year_is_weak():
    # An answer from 1 to 2 every month for a year: ≈ 0.45 in the guide.
    tie = one([(1, 2, "answer", AS_OF - k * 30 * DAY, 2) for k in range(12)])
    assert tie.score == pytest.approx(0.45, abs=0.03)
    assert tie.tie_class == "weak"


def test_calibration_one_reply_each_way_yesterday_is_weak():
    # I = 2·2^(−1/90) ≈ 1.985; F = 1 − e^(−1.985/4) ≈ 0.391; R = 1, M = 1/6, D = 0
    # S = 0.391·(0.3 + 0.2/6) + 0.3·0.391 ≈ 0.248 (guide: ≈ 0.25)
    tie = one([(1, 2, "reply", AS_OF - DAY, 2), (2, 1, "reply", AS_OF - DAY, 2)])
    assert tie.score == pytest.approx(0.25, abs=0.01)
    assert tie.tie_class == "weak"


def test_calibration_a_burst_a_year_ago_is_about_the_weak_threshold():
    # A question answered and accepted, then three replies each way over three days, a year ago.
    year_ago = AS_OF - 365 * DAY
    rows = [(1, 2, "answer", year_ago, 2), (2, 1, "accept", year_ago, 2)]
    rows += [r for k in range(3) for r in ((1, 2, "reply", year_ago + k * DAY, 2),)]
    rows += [(2, 1, "reply", year_ago + k * DAY, 2) for k in range(3)]
    assert one(rows).score == pytest.approx(0.10, abs=0.02)


def test_score_is_the_guide_formula_when_one_way_or_balanced():
    """Our S equals F·(0.3 + 0.3R + 0.2M + 0.2D) at R = 0 and R = 1 (see docs: why we differ)."""
    for rows in (
        [(1, 2, "answer", AS_OF - 10 * DAY, 2), (1, 2, "reply", AS_OF - 200 * DAY, 2)],
        [(1, 2, "reply", AS_OF - 5 * DAY, 2), (2, 1, "reply", AS_OF - 5 * DAY, 2)],
    ):
        t = one(rows)
        guide = t.intensity * (0.3 + 0.3 * t.reciprocity + 0.2 * t.multiplexity + 0.2 * t.duration)
        assert t.score == pytest.approx(guide)


def test_guide_formula_would_drop_when_one_side_adds_interaction():
    """The counterexample that made us replace R·F by F_r: S must not drop, the guide's does."""
    balanced = [(1, 2, "answer", AS_OF, 2), (2, 1, "answer", AS_OF, 2)] * 3
    before = one(balanced)
    after = one(balanced + [(1, 2, "answer", AS_OF, 2)] * 6)

    def guide(t):
        return t.intensity * (0.3 + 0.3 * t.reciprocity + 0.2 * t.multiplexity + 0.2 * t.duration)

    assert guide(after) < guide(before)
    assert after.score >= before.score


# --- weights, decay, split ----------------------------------------------------------------------


def test_row_weights():
    assert row_weight("accept", 2, CONFIG) == 3.0
    assert row_weight("vote", 2, CONFIG) == 0.25
    # Co-attendance of 5: w/(n−1) = 2/4 = 0.5 per pair, 0.25 in each direction.
    assert row_weight("co_attendance", 5, CONFIG) == 0.25
    # Co-edit of 2: 1.5/1 per pair, 0.75 each way.
    assert row_weight("co_edit", 2, CONFIG) == 0.75


def test_a_webinar_does_not_make_strong_ties():
    # 40 people at one event: each pair gets 2/39 in total, far below any tie.
    people = range(1, 41)
    rows = [(u, v, "co_attendance", AS_OF, 40) for u in people for v in people if u != v]
    scores = scores_of(rows)
    assert len(scores) == 780
    assert all(t.tie_class == "latent" for t in scores.values())


def test_decay_halves_every_half_life():
    assert decay(0, 90) == 1.0
    assert decay(90 * DAY, 90) == pytest.approx(0.5)
    assert decay(180 * DAY, 90) == pytest.approx(0.25)


def test_month_number():
    assert month_number(AS_OF) == 2024 * 12 + 6  # July 2024
    assert month_number(AS_OF - 1) == 2024 * 12 + 5  # 30 June 2024 23:59:59


def test_tie_summary_counts_classes():
    rows = [(1, 2, "reply", AS_OF, 2), (2, 1, "reply", AS_OF, 2)]  # weak
    rows += [(3, 4, "vote", AS_OF, 2)]  # latent
    rows += [(5, 6, "accept", AS_OF - k * 30 * DAY, 2) for k in range(13)]
    rows += [(6, 5, "answer", AS_OF - k * 30 * DAY, 2) for k in range(13)]  # strong
    summary = tie_summary(list(scores_of(rows).values()), CONFIG)
    assert summary == {
        "pairs": 3,
        "strong": 1,
        "weak": 1,
        "latent": 1,
        "strong_share": 0.5,
        "strong_threshold": 0.5,
        "weak_threshold": 0.1,
    }


# --- properties ---------------------------------------------------------------------------------

people = st.integers(min_value=1, max_value=4)
row = st.tuples(
    people,
    people,
    st.sampled_from(KINDS),
    st.floats(min_value=0, max_value=800).map(lambda days: AS_OF - days * DAY),
    st.integers(min_value=2, max_value=12),
).filter(lambda r: r[0] != r[1])
logs = st.lists(row, min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(logs)
def test_property_score_in_unit_interval_and_classified(rows):
    for t in scores_of(rows).values():
        assert 0.0 <= t.score < 1.0
        assert 0.0 <= t.reciprocity <= 1.0
        assert 0.0 <= t.multiplexity <= 1.0
        assert 0.0 <= t.duration <= 1.0
        assert t.tie_class == (
            "strong" if t.score >= 0.5 else "weak" if t.score >= 0.1 else "latent"
        )


@settings(max_examples=200, deadline=None)
@given(logs)
def test_property_symmetric(rows):
    mirrored = [(target, actor, kind, t, n) for actor, target, kind, t, n in rows]
    ours, theirs = scores_of(rows), scores_of(mirrored)
    assert ours.keys() == theirs.keys()
    for key, tie in ours.items():
        assert theirs[key].score == pytest.approx(tie.score, rel=1e-12)
        assert (theirs[key].i_ab, theirs[key].i_ba) == pytest.approx((tie.i_ba, tie.i_ab))


@settings(max_examples=300, deadline=None)
@given(logs, row)
def test_property_more_interaction_never_lowers_a_tie(rows, extra):
    before = scores_of(rows)
    after = scores_of(rows + [extra])
    for key, tie in before.items():
        assert after[key].score >= tie.score - 1e-12


@settings(max_examples=200, deadline=None)
@given(logs, st.floats(min_value=0, max_value=1000))
def test_property_ageing_never_raises_a_tie(rows, days):
    """The same history counts less as it gets older (no new interaction, later as_of)."""
    now = scores_of(rows)
    later = scores_of(rows, as_of=AS_OF + days * DAY)
    for key, tie in now.items():
        assert later[key].score <= tie.score + 1e-12


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(KINDS),
    st.floats(min_value=0, max_value=800),
    st.floats(min_value=0, max_value=800),
    st.integers(min_value=2, max_value=12),
)
def test_property_an_older_interaction_never_counts_more_than_a_newer_one(kind, d1, d2, n):
    older, newer = max(d1, d2), min(d1, d2)
    old = one([(1, 2, kind, AS_OF - older * DAY, n)])
    new = one([(1, 2, kind, AS_OF - newer * DAY, n)])
    assert old.score <= new.score + 1e-12


@settings(max_examples=300, deadline=None)
@given(logs, st.data())
def test_property_moving_an_interaction_later_within_the_span_never_lowers_a_tie(rows, data):
    """Recency: an interaction moved later (the pair's first and last contact unchanged) counts
    at least as much. Moving the first contact changes the duration, a separate dimension."""
    i = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    actor, target, kind, t, n = rows[i]
    pair = {actor, target}
    times = [r[3] for r in rows if {r[0], r[1]} == pair]
    first, last = min(times), max(times)
    if t == first and times.count(first) == 1:
        return  # moving the only first contact would shorten the duration
    moved_to = data.draw(st.floats(min_value=t, max_value=last))
    moved = rows[:i] + [(actor, target, kind, moved_to, n)] + rows[i + 1 :]
    key = (min(pair), max(pair))
    assert scores_of(moved)[key].score >= scores_of(rows)[key].score - 1e-12


@settings(max_examples=200, deadline=None)
@given(logs, st.randoms(use_true_random=False))
def test_property_pair_states_do_not_depend_on_row_order(rows, rng):
    """The database returns rows in no particular order: the states come out bit for bit the
    same whatever the order (sums of quantised terms are exact)."""
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert pair_states(shuffled, config=CONFIG) == pair_states(rows, config=CONFIG)


@settings(max_examples=200, deadline=None)
@given(logs, st.floats(min_value=0, max_value=1))
def test_property_recomputing_touched_pairs_equals_the_batch(rows, cut_share):
    """An incremental run: the states of the earlier rows, then every pair the later rows touch
    recomputed from all its rows, are the states of the whole log, bit for bit."""
    cut = int(len(rows) * cut_share)
    states = pair_states(rows[:cut], config=CONFIG)
    touched = {pair_key(r[0], r[1]) for r in rows[cut:]}
    states.update(pair_states([r for r in rows if pair_key(r[0], r[1]) in touched], config=CONFIG))
    assert states == pair_states(rows, config=CONFIG)
    incremental = score_all([states[k] for k in sorted(states)], as_of=AS_OF, config=CONFIG)
    assert incremental == sorted(scores_of(rows).values())


def test_state_round_trips_through_stored_values():
    """A state rebuilt from a TieStrength-like row (lists, JSON dict) scores the same."""
    rows = [(1, 2, "answer", AS_OF - 40 * DAY, 2), (2, 1, "mention", AS_OF - 3 * DAY, 2)]
    (state,) = pair_states(rows, config=CONFIG).values()
    stored = {
        "i_ab": state.i_ab,
        "i_ba": state.i_ba,
        "ref": state.ref,
        "first": state.first,
        "last": state.last,
        "channels": dict(state.channels),
        "months": sorted(state.months),
    }
    rebuilt = PairState(1, 2, **{**stored, "months": set(stored["months"])})
    assert score_pair(rebuilt, as_of=AS_OF, config=CONFIG) == score_pair(
        state, as_of=AS_OF, config=CONFIG
    )
    assert set(state.channels) <= set(CHANNELS)


def test_multiplexity_counts_channels_of_the_last_year_only():
    rows = [(1, 2, "answer", AS_OF - 400 * DAY, 2), (1, 2, "reply", AS_OF - 10 * DAY, 2)]
    assert one(rows).multiplexity == pytest.approx(1 / 6)
    wider = replace(CONFIG, multiplexity_window_days=500)
    (tie,) = scores_of(rows, config=wider).values()
    assert tie.multiplexity == pytest.approx(2 / 6)
