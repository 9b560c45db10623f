"""In-app notifications: who gets them, what they see, the list, opening one, the header badge."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities import services as community_services
from communities.models import Membership
from notifications.models import Notification
from notifications.services import notify
from practice.services import endorsements
from tests.factories import UserFactory, make_member
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
LIST_URL = reverse("notifications:notifications")


def kinds_of(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True)
    )


def notes_for(user, kind=None):
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(kind=kind) if kind else qs


def make_notes(user, community, count: int) -> None:
    """*count* notifications for *user*, as the services write them (one bulk insert each)."""
    for i in range(count):
        notify(
            recipient_ids=[user.pk],
            kind=Kind.NEW_THREAD,
            community=community,
            text=f"Note {i}",
            url=community.get_absolute_url(),
        )


# --- who is notified -------------------------------------------------------------------------


def test_notify_reply_in_followed_thread_reaches_followers_not_the_actor(open_community):
    asker, helper, other = (member_of(open_community) for _ in range(3))
    thread = ask(open_community, asker)
    post = answer(thread, helper)
    assert kinds_of(asker) == [Kind.REPLY]
    note = notes_for(asker).get()
    # The notice is about the post (its target), and so about the post's thread.
    assert note.actor == helper and note.target == post and note.target.thread == thread
    assert note.url == post.get_absolute_url()
    assert helper.username in note.text
    assert kinds_of(helper) == []  # the actor is never told about their own post
    assert kinds_of(other) == []  # not following
    # The helper now follows the thread: the asker's reply reaches them, not the asker.
    answer(thread, asker, body="Thanks!")
    assert kinds_of(helper) == [Kind.REPLY]
    assert kinds_of(asker) == [Kind.REPLY]


def test_notify_accepted_answer_tells_its_author(open_community):
    asker, helper = member_of(open_community), member_of(open_community)
    thread = ask(open_community, asker)
    post = answer(thread, helper)
    endorsements.answer_accept(answer=post, by=asker)
    assert notes_for(helper, Kind.ACCEPTED).get().target == post
    assert not notes_for(asker, Kind.ACCEPTED).exists()


def test_notify_accepting_ones_own_answer_tells_nobody(open_community):
    asker = member_of(open_community)
    thread = ask(open_community, asker)
    own = answer(thread, asker, body="I found it myself.")
    endorsements.answer_accept(answer=own, by=asker)
    assert not Notification.objects.filter(kind=Kind.ACCEPTED).exists()


def test_notify_mention_once_and_not_also_as_reply(open_community):
    asker = member_of(open_community)
    mentioned = member_of(open_community, username="bea")
    thread = ask(open_community, asker, body="What do you think, @bea?")
    assert kinds_of(mentioned) == [Kind.MENTION]
    answer(thread, mentioned, body="Here I am, @bea")  # now follows; self-mention tells nobody
    assert kinds_of(mentioned) == [Kind.MENTION]
    answer(thread, asker, body="Thanks @bea, and @bea again")
    assert kinds_of(mentioned) == [Kind.MENTION, Kind.MENTION]  # a mention, not also a reply
    answer(thread, asker, body="One more thing")
    assert kinds_of(mentioned) == [Kind.MENTION, Kind.MENTION, Kind.REPLY]


def test_notify_mention_in_private_community_skips_non_members(private_community):
    author = member_of(private_community)
    outsider = UserFactory(username="outsider")
    ask(private_community, author, body="Ask @outsider?")
    assert kinds_of(outsider) == []


@pytest.mark.parametrize("approve", [True, False])
def test_membership_decision_notifies_applicant_in_app_with_one_email(
    private_community, django_capture_on_commit_callbacks, mailoutbox, approve
):
    moderator = moderator_of(private_community)
    applicant = UserFactory()
    pending = community_services.membership_request(community=private_community, user=applicant)
    with django_capture_on_commit_callbacks(execute=True):
        decide = (
            community_services.membership_approve
            if approve
            else community_services.membership_decline
        )
        decide(membership=pending, by=moderator, message="Hello")
    note = notes_for(applicant, Kind.MEMBERSHIP).get()
    assert ("approved" if approve else "declined") in note.text
    assert note.url == private_community.get_absolute_url()
    assert not notes_for(moderator).exists()
    # Exactly one email: the decision mail with the moderator's message, not a second one.
    assert [m.to for m in mailoutbox] == [[applicant.email]]
    assert "Hello" in mailoutbox[0].body
    # A declined applicant of a private community still sees the decision in the app.
    applicant.refresh_from_db()
    response = _client_for(applicant).get(LIST_URL)
    assert note.text in response.content.decode()


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# --- the list ----------------------------------------------------------------------------------


def test_notification_list_requires_login(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_notification_list_shows_own_unread_highlighted_newest_first(client, open_community):
    me, someone = member_of(open_community), member_of(open_community)
    make_notes(me, open_community, 2)
    make_notes(someone, open_community, 1)
    Notification.objects.filter(recipient=me, text="Note 0").update(
        read_at=timezone.now(), created_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(me)
    response = client.get(LIST_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert [n.text for n in response.context["page"].object_list] == ["Note 1", "Note 0"]
    assert html.count("notification-unread") == 1
    assert "Note 1" in html and "Note 0" in html
    assert someone.username not in html  # only my own


def test_notification_list_empty_state_says_what_to_do(client, user):
    client.force_login(user)
    response = client.get(LIST_URL)
    assert "Find a community" in response.content.decode()


def test_notification_list_drops_private_community_notes_after_leaving(client, private_community):
    member = member_of(private_community)
    make_notes(member, private_community, 1)
    client.force_login(member)
    assert "Note 0" in client.get(LIST_URL).content.decode()
    community_services.membership_leave(community=private_community, user=member)
    html = client.get(LIST_URL).content.decode()
    assert "Note 0" not in html
    assert "SRE circle" not in html
    note = notes_for(member).get()
    open_url = reverse("notifications:notification_open", args=[note.pk])
    assert client.get(open_url).status_code == 404


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999", "2"])
def test_notification_list_bad_page_never_500(client, user, page):
    client.force_login(user)
    assert client.get(LIST_URL, {"page": page}).status_code == 200


def test_notification_list_query_count_is_constant(
    client, open_community, django_assert_max_num_queries
):
    few, many = member_of(open_community), member_of(open_community)
    make_notes(few, open_community, 5)
    make_notes(many, open_community, 100)
    counts = []
    for user in (few, many):
        client.force_login(user)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST_URL).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(8):
        client.get(LIST_URL)


# --- opening and marking read -------------------------------------------------------------------


def test_notification_open_marks_read_and_redirects(client, open_community):
    asker, helper = member_of(open_community), member_of(open_community)
    thread = ask(open_community, asker)
    post = answer(thread, helper)
    note = notes_for(asker).get()
    client.force_login(asker)
    response = client.get(reverse("notifications:notification_open", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.parametrize(
    "url", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_notification_open_never_redirects_off_site(client, open_community, url):
    me = member_of(open_community)
    notify(recipient_ids=[me.pk], kind=Kind.REPLY, community=open_community, text="t", url=url)
    note = notes_for(me).get()
    client.force_login(me)
    response = client.get(reverse("notifications:notification_open", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == LIST_URL


def test_notification_open_someone_elses_is_404(client, open_community):
    me, other = member_of(open_community), member_of(open_community)
    make_notes(other, open_community, 1)
    note = notes_for(other).get()
    client.force_login(me)
    assert client.get(reverse("notifications:notification_open", args=[note.pk])).status_code == 404
    assert client.get("/notifications/99999999/open/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_notifications_read_all_marks_only_mine_and_needs_post(client, open_community):
    me, other = member_of(open_community), member_of(open_community)
    make_notes(me, open_community, 3)
    make_notes(other, open_community, 1)
    client.force_login(me)
    url = reverse("notifications:notifications_read_all")
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert not notes_for(me).filter(read_at__isnull=True).exists()
    assert notes_for(other).filter(read_at__isnull=True).count() == 1


# --- the header badge ----------------------------------------------------------------------------


def test_header_badge_shows_unread_count(client, open_community):
    me = member_of(open_community)
    client.force_login(me)
    html = client.get(reverse("communities:directory")).content.decode()
    assert "count-badge" not in html
    make_notes(me, open_community, 3)
    html = client.get(reverse("communities:directory")).content.decode()
    assert '<span class="count-badge">3<span class="visually-hidden"> unread</span>' in html


def test_header_badge_caps_at_99_plus(client, open_community):
    me = member_of(open_community)
    make_notes(me, open_community, 120)
    client.force_login(me)
    html = client.get(reverse("communities:directory")).content.decode()
    assert '<span class="count-badge">99+' in html


def test_header_badge_ignores_private_community_after_leaving(client, private_community):
    member = member_of(private_community)
    make_notes(member, private_community, 2)
    Membership.objects.filter(user=member).update(state=Membership.State.LEFT)
    client.force_login(member)
    assert "count-badge" not in client.get(reverse("communities:directory")).content.decode()


def test_header_badge_absent_for_anonymous(client, open_community):
    html = client.get(reverse("communities:directory")).content.decode()
    assert "Notifications" not in html


def test_header_badge_query_count_is_constant(client, open_community):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (0, 5, 150):
        me = make_member(open_community).user
        make_notes(me, open_community, n)
        client.force_login(me)
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("communities:directory"))
        counts.append(len(ctx))
    assert counts[0] == counts[1] == counts[2]
