"""The vectorised pair table: the reference definitions of metrics.compute.ties on whole columns,
sums scaled to a reference time common to the table, folded exactly."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from metrics.compute.config import MetricsConfig
from metrics.compute.pairs import (
    CLASS_NAMES,
    ERA_HALF_LIVES,
    mean_multiplexity_of,
    merge,
    reference_time,
    repeat_pair_rate_of,
    score_table,
    summary_of,
    table_from_rows,
    tie_scores,
    ties_per_member,
)
from metrics.compute.spectrum import mean_multiplexity, repeat_pair_rate
from metrics.compute.ties import DAY, KINDS, QUANTUM_BITS, pair_states, score_all, tie_summary

CONFIG = MetricsConfig()
AS_OF = 1_719_792_000.0  # 2024-07-01 00:00 UTC
REF = reference_time(AS_OF, CONFIG)

people = st.integers(min_value=1, max_value=5)
row = st.tuples(
    people,
    people,
    st.sampled_from(KINDS),
    st.floats(min_value=0, max_value=800).map(lambda days: AS_OF - days * DAY),
    st.integers(min_value=2, max_value=12),
).filter(lambda r: r[0] != r[1])
logs = st.lists(row, min_size=1, max_size=30)


def reference_scores(rows, as_of=AS_OF):
    states = pair_states(rows, config=CONFIG)
    return score_all([states[k] for k in sorted(states)], as_of=as_of, config=CONFIG)


def test_reference_time_is_the_start_of_the_era():
    era = ERA_HALF_LIVES * CONFIG.half_life_days * DAY
    assert REF <= AS_OF < REF + era
    assert REF % era == 0
    assert reference_time(REF + era - 1, CONFIG) == REF
    assert reference_time(REF + era, CONFIG) == REF + era


def quantum_error_bound(rows) -> float:
    """Return a bound on |table − reference| of a pair's intensity as of AS_OF, from quantising.

    Both implementations round each row's term to a whole unit of 2^-QUANTUM_BITS, so each is
    off by at most half a unit per row: the table at its reference time R, the reference at the
    pair's last contact, both at or before AS_OF, so aged to AS_OF half a unit is at most 2^-41.
    Together at most one unit per row. It is an absolute error: for a pair of old, light rows (a
    co-edit in a group of 12, 782.6 days before AS_OF, 677.6 days before R: 405,847,987 units at R,
    intensity 1.64e-4 as of AS_OF) the table's half unit is 1.2e-9 of the intensity, beyond a
    1e-9 relative tolerance (seen: 1.02e-9 on the intensity and the score). The sums themselves
    are exact integers, so nothing depends on the order rows are added in."""
    return len(rows) * 2.0**-QUANTUM_BITS


@settings(max_examples=200, deadline=None)
@given(logs)
@example(rows=[(1, 2, "co_edit", 1_652_173_200.0, 12)])  # quantum_error_bound's example
def test_property_table_scores_equal_the_reference_definitions(rows):
    """score_table gives what ties.score_all gives pair by pair (to the quantum of the sums)."""
    table = table_from_rows(rows, ref=REF, config=CONFIG)
    scores = score_table(table, as_of=AS_OF, config=CONFIG)
    expected = reference_scores(rows)
    ours = tie_scores(table, scores, np.arange(len(table)))
    assert [(t.a, t.b) for t in ours] == [(t.a, t.b) for t in expected]
    # |Δ i_ab|, |Δ i_ba|, |Δ total| and |Δ min| are each at most `quantum`. The score's slope
    # is at most (base + multiplexity + duration)/κ in the total and 2·reciprocity/κ in the min
    # (1 − e^(−x/κ) has slope ≤ 1/κ); reciprocity 2·min/total moves by at most (2 + 1)·quantum
    # /total. With 30 rows the score's bound is 30 · 2^-40 · 1.3/4 ≈ 9e-12, far below any
    # difference the thresholds could show. rel=1e-9 stays for the float arithmetic itself.
    quantum = quantum_error_bound(rows)
    score_slope = (
        CONFIG.score_base
        + CONFIG.score_multiplexity
        + CONFIG.score_duration
        + 2 * CONFIG.score_reciprocity
    ) / CONFIG.kappa
    for tie, reference in zip(ours, expected, strict=True):
        assert tie.score == pytest.approx(reference.score, rel=1e-9, abs=score_slope * quantum)
        assert (tie.i_ab, tie.i_ba) == pytest.approx(
            (reference.i_ab, reference.i_ba), rel=1e-9, abs=quantum
        )
        total = reference.i_ab + reference.i_ba
        assert tie.reciprocity == pytest.approx(
            reference.reciprocity, rel=1e-9, abs=3 * quantum / total
        )
        assert (tie.multiplexity, tie.duration) == (reference.multiplexity, reference.duration)
        assert (tie.repeat, tie.recent) == (reference.repeat, reference.recent)
        if abs(reference.score - 0.5) > 1e-9 and abs(reference.score - 0.1) > 1e-9:
            assert tie.tie_class == reference.tie_class
    everyone = np.ones(len(table), bool)
    assert summary_of(scores, everyone, CONFIG) == tie_summary(ours, CONFIG)
    assert mean_multiplexity_of(scores, everyone) == mean_multiplexity(ours)
    assert repeat_pair_rate_of(scores, everyone) == repeat_pair_rate(ours)


@settings(max_examples=200, deadline=None)
@given(logs, st.randoms(use_true_random=False))
def test_property_table_does_not_depend_on_row_order(rows, rng):
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert table_from_rows(shuffled, ref=REF, config=CONFIG).equals(
        table_from_rows(rows, ref=REF, config=CONFIG)
    )


@settings(max_examples=300, deadline=None)
@given(logs, st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_property_folding_only_the_new_rows_equals_the_batch(rows, cut1, cut2):
    """An incremental run reads only the rows after the watermark; their sums added to the
    stored table give the whole log's table, bit for bit, however the log is split."""
    first, second = sorted((int(len(rows) * cut1), int(len(rows) * cut2)))
    table = table_from_rows(rows[:first], ref=REF, config=CONFIG)
    for part in (rows[first:second], rows[second:]):
        before = table
        table, touched = merge(table, table_from_rows(part, ref=REF, config=CONFIG))
        keys = {(min(a, b), max(a, b)) for a, b, *_ in part}
        assert {(int(table.a[i]), int(table.b[i])) for i in touched} == keys
        assert before is not table or not part
    assert table.equals(table_from_rows(rows, ref=REF, config=CONFIG))


def test_merge_leaves_the_stored_table_alone():
    rows = [(1, 2, "answer", AS_OF - DAY, 2), (2, 3, "reply", AS_OF - 2 * DAY, 2)]
    stored = table_from_rows(rows, ref=REF, config=CONFIG)
    units = stored.units_ab.copy()
    merged, touched = merge(stored, table_from_rows(rows[:1], ref=REF, config=CONFIG))
    assert np.array_equal(stored.units_ab, units)
    assert merged.units_ab[0] == 2 * units[0]
    assert touched.tolist() == [0]


@settings(max_examples=100, deadline=None)
@given(logs, st.floats(min_value=0, max_value=400))
def test_property_ageing_changes_no_state_and_never_raises_a_tie(rows, days):
    """Ageing is the common factor 2^(−(T − R)/h): the same table scored later, never higher."""
    table = table_from_rows(rows, ref=REF, config=CONFIG)
    now = score_table(table, as_of=AS_OF, config=CONFIG)
    later = score_table(table, as_of=AS_OF + days * DAY, config=CONFIG)
    assert (later.score <= now.score + 1e-12).all()


def test_ties_per_member_counts_each_end():
    rows = [(1, 2, "answer", AS_OF - DAY, 2)] * 6 + [(2, 1, "answer", AS_OF - DAY, 2)] * 6
    rows += [(2, 3, "vote", AS_OF - 300 * DAY, 2)]
    table = table_from_rows(rows, ref=REF, config=CONFIG)
    scores = score_table(table, as_of=AS_OF, config=CONFIG)
    assert [CLASS_NAMES[c] for c in scores.tie_class] == ["strong", "latent"]
    everyone = np.ones(len(table), bool)
    assert ties_per_member(table, scores, everyone, 2) == {1: 1, 2: 1}
    assert ties_per_member(table, scores, everyone, 1) == {}
