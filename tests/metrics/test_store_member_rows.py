"""A run's member rows are tuples (``run.MEMBER_ROW_FIELDS``) that the store writes as they are."""

import numpy as np
import pytest

from metrics.models import MemberMetrics, MetricsSnapshot
from metrics.pipeline.run import MEMBER_ROW_FIELDS
from metrics.pipeline.store import write_member_rows
from tests.factories import CommunityFactory, UserFactory
from tests.metrics.pipeline_fixtures import T


def test_member_row_fields_are_every_field_but_the_id_and_the_snapshot():
    fields = {
        f.attname
        for f in MemberMetrics._meta.concrete_fields
        if not f.primary_key and f.name != "snapshot"
    }
    assert set(MEMBER_ROW_FIELDS) == fields
    assert len(MEMBER_ROW_FIELDS) == len(fields)


@pytest.mark.django_db
def test_write_member_rows_stores_each_value_exactly():
    community = CommunityFactory()
    snapshot = MetricsSnapshot.objects.create(
        community=community, as_of=T, computed_at=T, duration_ms=0, config={}, data={}
    )
    ana, ben = UserFactory(), UserFactory()
    rows = [
        (
            ana.pk,
            "core",
            "active",
            "rising",
            12,
            3,
            7,
            2,
            1,
            4,
            5,
            0.1 + 0.2,
            1 / 3,
            7,
            -0.25,
            1e-9,
        ),
        # Numpy scalars, as the network measures may give them; no group, no position.
        (ben.pk, "peripheral", "", "", 0, 0, 0, 0, 0, 0, np.int64(0), np.float64(2 / 3), 0.0, None)
        + (None, None),
    ]
    write_member_rows(snapshot, rows)
    stored = list(
        MemberMetrics.objects.filter(snapshot=snapshot)
        .order_by("user_id")
        .values_list(*MEMBER_ROW_FIELDS)
    )
    assert stored == sorted(rows, key=lambda row: row[0])
    assert stored[0][11] == 0.1 + 0.2 and stored[1][11] == 2 / 3  # floats bit for bit
