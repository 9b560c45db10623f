"""``core.rows`` makes the instances ``Model.objects.raw()`` makes: the same values, converted
the same way (SQLite's dates and booleans), the same fields deferred, extra columns as
attributes."""

import pytest

from core import rows as model_rows
from practice.models import Post, Thread
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db

_FIELDS = ", ".join(f.column for f in Thread._meta.concrete_fields)


def _values(instance, names):
    return {name: (getattr(instance, name), type(getattr(instance, name))) for name in names}


def test_rows_make_what_raw_makes(open_community):
    thread = ask(open_community, member_of(open_community), title="Heels", tags=["heels"])
    answer(thread, member_of(open_community))
    sql = f"SELECT {_FIELDS} FROM {Thread._meta.db_table} WHERE id = %s"
    made = model_rows.first(Thread, sql, [thread.pk])
    raw = next(iter(Thread.objects.raw(sql, [thread.pk])))
    names = [f.attname for f in Thread._meta.concrete_fields]
    assert _values(made, names) == _values(raw, names)
    assert made._state.adding is False and made._state.db == raw._state.db


def test_rows_defer_the_columns_not_read_and_keep_extra_columns(open_community):
    thread = ask(open_community, member_of(open_community), title="Heels")
    sql = (
        f"SELECT id, thread_id, created_at, is_hidden, 7 AS extra FROM {Post._meta.db_table} "
        "WHERE thread_id = %s ORDER BY id"
    )
    for _ in range(2):  # the second call reads the kept plan
        columns, rows = model_rows.fetch(Post, sql, [thread.pk])
        made = model_rows.instances(Post, columns, rows)
        raw = list(Post.objects.raw(sql, [thread.pk]))
        names = ["id", "thread_id", "created_at", "is_hidden", "extra"]
        assert [_values(p, names) for p in made] == [_values(p, names) for p in raw]
        assert made[0].get_deferred_fields() == raw[0].get_deferred_fields()


def test_rows_first_is_none_without_a_row():
    sql = f"SELECT {_FIELDS} FROM {Thread._meta.db_table} WHERE id = %s"
    assert model_rows.first(Thread, sql, [10**9]) is None


def test_maker_makes_what_the_model_makes(open_community):
    thread = ask(open_community, member_of(open_community), title="Heels")
    author = member_of(open_community)
    at = thread.created_at
    names = ("is_opening", "is_answer", "body", "body_html", "created_at", "edited_at")
    values = (False, True, "Yes", "<p>Yes</p>", at, None)
    made = model_rows.maker(Post, names, related=("thread", "community", "author"))(
        values, (thread, open_community, author)
    )
    given = dict(zip(names, values, strict=True))
    expected = Post(thread=thread, community=open_community, author=author, **given)
    fields = [f.attname for f in Post._meta.concrete_fields]
    assert _values(made, fields) == _values(expected, fields)
    assert made.thread is thread and made.author is author and made.community is open_community
    assert made._state.adding is True
