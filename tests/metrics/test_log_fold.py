"""The log folded in numpy (``metrics.compute.log_fold``) against the SQL aggregation."""

import math
import random
from datetime import UTC, datetime, timedelta
from unittest import mock

import numpy as np
import pytest

from metrics.compute import log_fold
from metrics.compute.config import MetricsConfig
from metrics.compute.pairs import ERA_HALF_LIVES, MAX_EXPONENT, reference_time, unit_rate
from metrics.compute.ties import KINDS, MIN_EXPONENT, QUANTUM
from tests.metrics.pipeline_fixtures import T, build_smallville

DAY = 86400.0


def test_row_terms_match_the_c_library_exp_row_for_row():
    """200,000 terms against each row computed with ``math.exp`` (the C library's, as the
    databases'), both roundings. numpy's exp differs from it by an ulp on a few percent of values,
    which flips a few terms' rounding: without the recomputation of doubtful rows (EXP_ULPS = 0)
    the same comparison fails."""
    config = MetricsConfig()
    rng = np.random.default_rng(11)
    n = 200_000
    ref = reference_time(T.timestamp(), config)
    era = ERA_HALF_LIVES * config.half_life_days * DAY
    t = np.round(ref + rng.uniform(-2 * era, 1.2 * era, n), 6)
    kind = rng.integers(0, len(KINDS), n)
    size = rng.integers(0, 31, n)
    exponent = np.maximum(np.minimum((t - ref) * unit_rate(config), MAX_EXPONENT), MIN_EXPONENT)
    weight = [config.weight(KINDS[k]) for k in kind.tolist()]
    divisor = [
        float(2 * max(s - 1, 1)) if KINDS[k] in {"co_attendance", "co_edit"} else 1.0
        for k, s in zip(kind.tolist(), size.tolist(), strict=True)
    ]
    raw = [
        w * math.exp(x) / d * QUANTUM
        for w, x, d in zip(weight, exponent.tolist(), divisor, strict=True)
    ]
    expected = {
        "half_even": np.array([round(v) for v in raw], np.int64),
        "half_up": np.array([math.trunc(v + 0.5) for v in raw], np.int64),
    }
    for rounding, want in expected.items():
        got = log_fold.row_terms(kind, t, size, ref=ref, config=config, rounding=rounding)
        assert np.array_equal(got, want), rounding
        with mock.patch.object(log_fold, "EXP_ULPS", 0):
            fast = log_fold.row_terms(kind, t, size, ref=ref, config=config, rounding=rounding)
        assert not np.array_equal(fast, want), "the sample no longer exercises the recomputation"


def test_months_of_matches_month_number():
    from metrics.compute.ties import month_number

    moments = [
        -(10**16),
        -1,
        0,
        1,
        951_868_800_000_000,
        4_102_444_799_999_999,
        4_102_444_800_000_000,
    ]
    got = log_fold.months_of(np.array(moments, np.int64)).tolist()
    assert got == [month_number(m / 1e6) for m in moments]


@pytest.mark.django_db
def test_numpy_fold_gives_the_sql_aggregation_bit_for_bit():
    """Every kind (and one the code does not know), rows tied in time, group sizes 0 to 30, rows
    dated centuries back (the exponent's floor) and decades ahead (its ceiling), rows outside
    the month bits, an ``until`` bound and id ranges: the table read by SQL and by numpy agree
    to the bit, on SQLite and on PostgreSQL."""
    from django.contrib.contenttypes.models import ContentType

    from communities.models import Interaction
    from metrics import collect
    from metrics.conf import metrics_config

    village = build_smallville()
    config = metrics_config()
    rng = random.Random(5)
    people = [village.ana, village.ben, village.cai, village.dee, village.eve]
    pairs = [(a, b) for a in people for b in people if a != b]
    tied = T - timedelta(days=3, microseconds=250)
    moments = (
        [tied] * 12
        + [
            T + timedelta(days=40 * 365),
            T + timedelta(days=3 * 365),
            datetime(1700, 1, 1, tzinfo=UTC),
        ]
        + [T - timedelta(seconds=rng.uniform(0, 1500 * DAY)) for _ in range(600)]
        + [T - timedelta(days=rng.randint(0, 900)) for _ in range(60)]  # whole seconds
    )
    kinds = [*KINDS, "retired_kind"]
    source_type = ContentType.objects.get_for_model(village.community)
    Interaction.objects.bulk_create(
        Interaction(
            community=village.community,
            actor=actor,
            target=target,
            kind=kinds[i % len(kinds)],
            occurred_at=moment,
            group_size=rng.choice([0, 1, 2, 3, 7, 30]),
            source_type=source_type,
            source_id=i,
        )
        for i, (moment, (actor, target)) in enumerate(
            (moment, rng.choice(pairs)) for moment in moments
        )
    )
    upto = collect.log_high_water(village.community.pk)
    low = upto - len(moments)
    ref = reference_time(T.timestamp(), config)
    assert collect.sql_aggregation_available()
    cases = [
        {"after_pk": 0, "upto_pk": upto, "until": None},
        {"after_pk": 0, "upto_pk": upto, "until": T - timedelta(days=100)},
        {"after_pk": low + 200, "upto_pk": upto - 7, "until": None},
        {"after_pk": upto - 1, "upto_pk": upto, "until": None},
        {"after_pk": 0, "upto_pk": upto, "until": datetime(1600, 1, 1, tzinfo=UTC)},  # no row
    ]
    for case in cases:
        by_sql = collect.log_pair_table_sql(village.community.pk, ref=ref, config=config, **case)
        by_numpy = collect.log_pair_table_numpy(
            village.community.pk, ref=ref, config=config, **case
        )
        assert len(by_sql) > 0 or case["until"].year == 1600
        assert by_numpy.equals(by_sql), case
    # log_pair_table folds in numpy on PostgreSQL, in SQL on SQLite.
    from django.db import connection

    with mock.patch.object(
        collect, "log_pair_table_numpy", wraps=collect.log_pair_table_numpy
    ) as numpy_fold:
        table = collect.log_pair_table(village.community.pk, ref=ref, config=config, **cases[0])
    assert numpy_fold.called == (connection.vendor == "postgresql")
    assert table.equals(
        collect.log_pair_table_sql(village.community.pk, ref=ref, config=config, **cases[0])
    )


@pytest.mark.django_db
def test_load_tie_table_reads_back_what_the_runs_wrote_in_key_order():
    """The stored table read back (PostgreSQL: heap order, sorted in numpy) is the log's fold
    to the bit, in (a, b) order, with each row's stored score and class, after a second run
    appended pairs whose keys sort before the first run's."""
    from django.contrib.contenttypes.models import ContentType

    from communities.models import Interaction
    from metrics import collect, services
    from metrics.compute.pairs import CLASS_CODES
    from metrics.conf import metrics_config
    from metrics.models import MetricsState, TieStrength
    from tests.metrics.pipeline_fixtures import frozen

    village = build_smallville()
    cid = village.community.pk
    source_type = ContentType.objects.get_for_model(village.community)
    later = [village.ben, village.cai, village.dee, village.eve]
    first = sorted(later, key=lambda user: user.pk)[0]
    everyone = sorted([village.ana, *later], key=lambda user: user.pk)

    def log(pairs, offset):
        Interaction.objects.bulk_create(
            Interaction(
                community=village.community,
                actor=actor,
                target=target,
                kind=KINDS[i % len(KINDS)],
                occurred_at=T - timedelta(days=i % 50, seconds=i),
                group_size=3,
                source_type=source_type,
                source_id=offset + i,
            )
            for i, (actor, target) in enumerate(pairs)
        )

    log([(a, b) for a in later for b in later if a != b and first not in (a, b)], 1000)
    with frozen(T):
        services.metrics_compute(community_id=cid, full=True)
    log([(everyone[0], b) for b in everyone[1:]] * 3, 2000)
    with frozen(T + timedelta(hours=1)):
        services.metrics_compute(community_id=cid)
    ref = MetricsState.objects.get(community_id=cid).ties_ref_at.timestamp()
    stored = collect.load_tie_table(cid, ref=ref)
    whole = collect.log_pair_table(
        cid,
        after_pk=0,
        upto_pk=collect.log_high_water(cid),
        until=None,
        ref=ref,
        config=metrics_config(),
    )
    assert len(stored.table) > 4
    assert stored.table.equals(whole)
    rows = TieStrength.objects.filter(community_id=cid).order_by("user_a_id", "user_b_id")
    assert stored.score.tolist() == [row.score for row in rows]
    assert stored.tie_class.tolist() == [CLASS_CODES[row.tie_class] for row in rows]
