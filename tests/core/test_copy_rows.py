from datetime import UTC, datetime

import pytest

from core.copy_rows import copy_text, rows_insert
from practice.models import ThreadTag


def test_copy_text_escapes_what_copy_reads_as_syntax():
    assert copy_text(None) == "\\N"
    assert copy_text(True) == "t" and copy_text(False) == "f"
    assert copy_text("a\tb\nc\r\\d") == "a\\tb\\nc\\r\\\\d"
    assert copy_text({"k": "v"}) == '{"k": "v"}'
    assert copy_text(datetime(2020, 1, 2, 3, 4, tzinfo=UTC)) == "2020-01-02T03:04:00+00:00"
    assert copy_text(7) == "7"


@pytest.mark.django_db
def test_rows_insert_writes_the_rows_as_given():
    rows_insert(
        ThreadTag, [ThreadTag(name="tab\there", slug="a\\b"), ThreadTag(name="x", slug="y")]
    )
    assert sorted(ThreadTag.objects.values_list("name", "slug")) == [
        ("tab\there", "a\\b"),
        ("x", "y"),
    ]
