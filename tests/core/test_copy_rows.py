from datetime import UTC, datetime

import pytest

from core.copy_rows import copy_text, rows_insert, tuples_insert
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


def test_tuples_insert_writes_the_values_given_and_the_defaults_of_the_others(open_community):
    from practice.models import Follow
    from tests.practice.factories import ask, member_of

    place = open_community
    thread = ask(place, member_of(place), title="Tabs")
    user = member_of(place)
    at = datetime(2020, 1, 2, 3, 4, tzinfo=UTC)
    tuples_insert(
        Follow,
        ("user_id", "target", "community_id", "thread_id", "created_at"),
        [(user.pk, Follow.Target.THREAD, place.pk, thread.pk, at)],
    )
    follow = Follow.objects.get(user=user, thread=thread)
    assert (follow.target, follow.community_id, follow.tag_id, follow.created_at) == (
        Follow.Target.THREAD,
        place.pk,
        None,
        at,
    )
    tuples_insert(ThreadTag, ("name", "slug"), [("tab\there", "a\\b"), ("x", "y")])
    assert sorted(ThreadTag.objects.values_list("name", "slug")) == [
        ("tab\there", "a\\b"),
        ("x", "y"),
    ]
