"""The thread list's cached rows: every change to a thread or its author shows on the next
request, the rows a reader gets still come from the permission-filtered query, and nothing of
one reader's page reaches another's."""

import re
from datetime import timedelta
from unittest import mock
from urllib.parse import quote as urlquote
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from communities import services as community_services
from communities.models import Community, Membership
from core.fragments import age
from practice import list_rows
from practice.forms.threads import ThreadFilterForm
from practice.list_rows import ROW_TEMPLATE
from practice.models import Thread
from practice.selectors.thread_list import thread_list, thread_list_rows
from practice.services import endorsements, moderation
from practice.services import threads as thread_services
from tests.factories import CommunityFactory, make_admin, make_member
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@pytest.fixture
def scene(open_community):
    community = open_community
    asker = member_of(community, username="asker")
    thread = ask(community, asker, title="Sacral wound dressing", tags=["dressings", "pressure"])
    return {
        "community": community,
        "thread": thread,
        "asker": asker,
        "helper": member_of(community, username="helper"),
        "reader": member_of(community, username="reader"),
        "moderator": moderator_of(community, username="mod"),
    }


def list_url(community) -> str:
    return reverse("practice:thread_list", args=[community.slug])


def get_list(client, community, user=None, params=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(list_url(community), params or {})
    assert response.status_code == 200
    return response


def rows_of(html: str) -> list[str]:
    return re.findall(r'<li class="thread-row.*?</li>', html, flags=re.S)


def row_of(html: str, thread) -> str:
    [row] = [r for r in rows_of(html) if f"/t/{thread.pk}/" in r]
    return row


def rendered_rows(response) -> int:
    """How many rows this response rendered from the row template (cache misses)."""
    return sum(1 for t in response.templates if t.name == ROW_TEMPLATE)


# --- the cache is used, and a change is a miss ------------------------------------------------


def test_thread_list_rows_rendered_once_then_read_from_the_cache(client, scene):
    community = scene["community"]
    ask(community, scene["helper"], title="Second question")
    first = get_list(client, community, scene["reader"])
    assert rendered_rows(first) == 2
    again = get_list(client, community, scene["reader"])
    assert rendered_rows(again) == 0
    # Another reader, anonymous or not, gets the same rows without rendering them.
    assert rendered_rows(get_list(client, community)) == 0
    assert rendered_rows(get_list(client, community, scene["moderator"])) == 0
    assert rows_of(again.content.decode()) == rows_of(first.content.decode())


def test_thread_list_renamed_thread_shows_on_next_request(client, scene):
    community, thread, asker = scene["community"], scene["thread"], scene["asker"]
    get_list(client, community, scene["reader"])
    thread_services.post_edit(
        post=thread.opening_post, by=asker, body="Any tips?", title="Heel wound <dressing>"
    )
    response = get_list(client, community, scene["reader"])
    assert rendered_rows(response) == 1
    row = row_of(response.content.decode(), thread)
    assert "Heel wound &lt;dressing&gt;" in row
    assert "Sacral" not in row


def test_thread_list_retagged_thread_shows_on_next_request(client, scene):
    community, thread, asker = scene["community"], scene["thread"], scene["asker"]
    get_list(client, community)
    thread_services.post_edit(
        post=thread.opening_post, by=asker, body="Any tips?", tags=["dressings", "heels"]
    )
    row = row_of(get_list(client, community).content.decode(), thread)
    assert ">heels</a>" in row
    assert ">pressure</a>" not in row


def test_thread_list_new_answer_and_accept_show_on_next_request(client, scene):
    community, thread = scene["community"], scene["thread"]
    row = row_of(get_list(client, community).content.decode(), thread)
    assert "<strong>0</strong> answers" in row
    assert "Solved" not in row
    reply = answer(thread, scene["helper"])
    row = row_of(get_list(client, community).content.decode(), thread)
    assert "<strong>1</strong> answer<" in row
    assert "Solved" not in row
    endorsements.vote_toggle(post=reply, voter=scene["reader"])
    row = row_of(get_list(client, community).content.decode(), thread)
    assert "<strong>1</strong> helpful" in row
    endorsements.answer_accept(answer=reply, by=scene["asker"])
    row = row_of(get_list(client, community).content.decode(), thread)
    assert "✓ Solved" in row and "stat-solved" in row
    endorsements.answer_unaccept(thread=Thread.objects.get(pk=thread.pk), by=scene["asker"])
    row = row_of(get_list(client, community).content.decode(), thread)
    assert "Solved" not in row and "stat-solved" not in row


def test_thread_list_locked_thread_shows_on_next_request(client, scene):
    community, thread = scene["community"], scene["thread"]
    assert "Locked" not in row_of(get_list(client, community).content.decode(), thread)
    moderation.thread_set_locked(thread=thread, by=scene["moderator"], locked=True)
    assert "Locked" in row_of(get_list(client, community).content.decode(), thread)


def test_thread_list_author_rename_shows_on_next_request(client, scene):
    community, thread, asker = scene["community"], scene["thread"], scene["asker"]
    assert ">asker</a>" in row_of(get_list(client, community).content.decode(), thread)
    community_services.profile_update(profile=asker.profile, display_name="Ana & Co")
    row = row_of(get_list(client, community).content.decode(), thread)
    assert ">Ana &amp; Co</a>" in row
    assert ">asker</a>" not in row


def test_thread_list_age_is_filled_in_per_request(client, scene):
    community, thread = scene["community"], scene["thread"]
    assert "0\xa0minutes ago" in row_of(get_list(client, community).content.decode(), thread)
    later = timezone.now() + timedelta(hours=3, minutes=5)
    with mock.patch.object(list_rows.timezone, "now", return_value=later):
        response = get_list(client, community)
    assert rendered_rows(response) == 0  # the cached row, with a new age
    assert "3\xa0hours, 5\xa0minutes ago" in row_of(response.content.decode(), thread)


# --- permissions: the row set is decided per request ------------------------------------------


def test_thread_list_hidden_thread_never_reaches_readers(client, scene):
    community, thread, moderator = scene["community"], scene["thread"], scene["moderator"]
    other = ask(community, scene["helper"], title="Visible question")
    get_list(client, community, moderator)  # both rows cached as visible
    thread_services.post_hide(post=thread.opening_post, by=moderator)
    # The moderator's list now caches the hidden thread's row, with its badge...
    mod_html = get_list(client, community, moderator).content.decode()
    hidden_row = row_of(mod_html, thread)
    assert "is-hidden" in hidden_row and "badge-bad" in hidden_row
    # ...which neither a member nor an anonymous reader ever gets, from the cache or otherwise.
    for user in (scene["reader"], scene["asker"], None):
        html = get_list(client, community, user).content.decode()
        assert f"/t/{thread.pk}/" not in html
        assert "Hidden" not in html
        assert len(rows_of(html)) == 1
        assert row_of(html, other)
        assert "1 thread." in html
    thread_services.post_restore(post=thread.opening_post, by=moderator)
    html = get_list(client, community, scene["reader"]).content.decode()
    row = row_of(html, thread)
    assert "is-hidden" not in row and "Hidden" not in row


def test_thread_list_private_community_rows_stay_private(client, private_community):
    insider = make_member(private_community).user
    thread = ask(private_community, insider, title="CANARY private thread")
    html = get_list(client, private_community, insider).content.decode()
    assert "CANARY private thread" in row_of(html, thread)
    client.logout()
    assert client.get(list_url(private_community)).status_code == 404
    outsider = member_of(CommunityFactory(slug="elsewhere"))
    client.force_login(outsider)
    assert client.get(list_url(private_community)).status_code == 404
    # A pending member is no member either.
    pending = make_member(private_community, state=Membership.State.PENDING).user
    client.force_login(pending)
    assert client.get(list_url(private_community)).status_code == 404


def test_thread_list_rows_are_per_community(client, scene):
    """The same thread id under another community's address would be another row."""
    community, thread = scene["community"], scene["thread"]
    get_list(client, community)
    other = CommunityFactory(slug="other-place", visibility=Community.Visibility.OPEN)
    moderation.thread_move(thread=thread, to_community=other, by=make_admin())
    assert f"/t/{thread.pk}/" not in get_list(client, community).content.decode()
    row = row_of(get_list(client, other).content.decode(), thread)
    assert f'href="/c/other-place/t/{thread.pk}/"' in row


# --- readers do not see each other's bits -----------------------------------------------------


def test_thread_list_anonymous_and_member_pages_keep_their_own_parts(client, scene):
    community = scene["community"]
    discuss(community, scene["asker"])
    member_html = get_list(client, community, scene["reader"]).content.decode()
    anon_html = get_list(client, community).content.decode()
    assert rows_of(member_html) == rows_of(anon_html)
    # The member's filters, name and log-out form are on their page only...
    assert 'name="mine"' in member_html and 'name="following"' in member_html
    assert ">reader</a>" in member_html and "csrfmiddlewaretoken" in member_html
    assert 'name="mine"' not in anon_html and 'name="following"' not in anon_html
    assert ">reader</a>" not in anon_html and "csrfmiddlewaretoken" not in anon_html
    # ...and the anonymous reader's invitation to log in only on theirs, whatever came first.
    assert "to ask, answer and vote" in anon_html
    assert "to ask, answer and vote" not in member_html
    again = get_list(client, community, scene["reader"]).content.decode()
    assert "to ask, answer and vote" not in again and 'name="mine"' in again


def test_thread_list_mine_and_following_filters_use_the_viewer(client, scene):
    community = scene["community"]
    ask(community, scene["helper"], title="Helper's own question")
    get_list(client, community)  # every row cached
    mine = get_list(client, community, scene["helper"], {"mine": "on"}).content.decode()
    assert [("Helper&#x27;s own question" in r) for r in rows_of(mine)] == [True]
    mine = get_list(client, community, scene["asker"], {"mine": "on"}).content.decode()
    assert [("Sacral wound dressing" in r) for r in rows_of(mine)] == [True]


# --- the row data ----------------------------------------------------------------------------


def test_thread_list_row_key_changes_with_every_shown_value(scene):
    community, thread = scene["community"], scene["thread"]
    [row] = thread_list_rows(thread_list(user=scene["reader"], community=community))
    key = list_rows.row_key(row, prefix="p")
    assert key.startswith(f"practice:thread-row:{thread.pk}:")
    assert list_rows.row_key(dict(row), prefix="p") == key
    assert list_rows.row_key(row, prefix="q") != key
    changed = {
        "kind": "discussion",
        "kind_label": "Discussion",
        "title": "Another title",
        "is_solved": True,
        "is_locked": True,
        "is_hidden": True,
        "answer_count": 3,
        "reply_count": 4,
        "helpful_count": 5,
        "last_activity_at": row["last_activity_at"] + timedelta(seconds=1),
        "tag_names": ("dressings",),
        "author_username": "someone",
        "author_name": "Someone Else",
    }
    assert set(changed) | {"pk"} == set(row)
    for name, value in changed.items():
        assert list_rows.row_key({**row, name: value}, prefix="p") != key, name


def test_thread_list_rows_show_display_name_else_username(scene):
    community, asker = scene["community"], scene["asker"]
    community_services.profile_update(profile=asker.profile, display_name="")
    [row] = thread_list_rows(thread_list(user=scene["reader"], community=community))
    assert row["author_name"] == "asker"
    asker.profile.delete()  # rows inserted in bulk may have no profile
    [row] = thread_list_rows(thread_list(user=scene["reader"], community=community))
    assert row["author_name"] == "asker"
    assert row["tag_names"] == ("dressings", "pressure")


def test_thread_list_age_matches_timesince():
    now = timezone.now()
    deltas = [timedelta(0), timedelta(seconds=59), timedelta(seconds=60), timedelta(hours=1)]
    deltas += [
        timedelta(days=d, hours=h, minutes=m)
        for d in (0, 1, 6, 7, 13, 26)
        for h in (0, 5)
        for m in (0, 1, 59)
    ]
    deltas += [
        timedelta(days=27) - timedelta(microseconds=1),
        timedelta(days=27),
        timedelta(days=40),
    ]
    deltas += [timedelta(days=365 + 31), -timedelta(minutes=5)]
    for delta in deltas:
        for shift in (timedelta(0), timedelta(microseconds=999_999), timedelta(seconds=30)):
            then = now - delta - shift
            assert age(then, now) == timesince(then, now), delta


def test_thread_list_filter_widgets_match_the_form():
    cases = [
        {},
        {"kind": "question", "sort": "helpful"},
        {"kind": "bogus", "sort": "zzz", "tag": "x" * 120},
        {"tag": 'a "quoted" <tag> & more'},
    ]
    for data in cases:
        form = ThreadFilterForm(QueryDict(urlencode(data)))
        html = list_rows.filter_widgets_html(form)
        for name in ("kind", "tag", "sort"):
            assert html[name] == str(ThreadFilterForm(QueryDict(urlencode(data)))[name]), data
    invalid = list_rows.filter_widgets_html(ThreadFilterForm(QueryDict("kind=bogus")))
    assert 'aria-invalid="true"' in invalid["kind"]


def test_thread_list_urls_match_reverse(open_community):
    slug = open_community.slug
    urls = list_rows.list_urls(slug)
    assert urls["all"] == reverse("practice:thread_list", args=[slug])
    assert urls["unanswered"] == reverse("practice:unanswered", args=[slug])
    assert urls["new"] == reverse("practice:thread_new", args=[slug])
    assert urls["feed"] == reverse("practice:feed", args=[slug])
    assert urls["thread_base"] + "12/" == reverse("practice:thread", args=[slug, 12])
    name = "ann.o+x@y-z_1"  # every character a username may have
    assert urls["profile_base"] + urlquote(name, safe="@+") + "/" == reverse(
        "communities:profile", args=[name]
    )
