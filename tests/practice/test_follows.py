"""Following communities and tags: the endpoints, who may, and the notices it brings."""

import pytest
from django.urls import reverse

from communities import services as community_services
from notifications.models import Notification
from practice.models import Follow
from tests.factories import UserFactory
from tests.practice.factories import ask, member_of

pytestmark = pytest.mark.django_db

Target = Follow.Target


def follow_url(community):
    return reverse("practice:community_follow", args=[community.slug])


def tag_url(community, tag):
    return reverse("practice:tag_follow", args=[community.slug, tag])


def new_thread_notes(user):
    return Notification.objects.filter(recipient=user, kind=Notification.Kind.NEW_THREAD)


# --- a community -------------------------------------------------------------------------------


def test_community_follow_and_unfollow(client, open_community):
    member = member_of(open_community)
    client.force_login(member)
    response = client.post(follow_url(open_community))
    assert response.status_code == 302
    assert response["Location"] == open_community.get_absolute_url()
    client.post(follow_url(open_community))  # a double click makes one row
    assert Follow.objects.filter(user=member, target=Target.COMMUNITY).count() == 1
    client.post(follow_url(open_community), {"follow": "0"})
    assert not Follow.objects.exists()


def test_community_follow_brings_new_thread_notices(client, open_community):
    reader = UserFactory()  # open community: a signed-in reader may follow without joining
    client.force_login(reader)
    client.post(follow_url(open_community))
    author = member_of(open_community)
    thread = ask(open_community, author, title="Honey dressings?")
    note = new_thread_notes(reader).get()
    assert note.target == thread and "Honey dressings?" in note.text
    assert not new_thread_notes(author).exists()


def test_community_follow_requires_login_and_post(client, open_community):
    response = client.post(follow_url(open_community))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    client.force_login(UserFactory())
    assert client.get(follow_url(open_community)).status_code == 405
    assert not Follow.objects.exists()


def test_community_follow_private_is_404_for_non_members(client, private_community):
    client.force_login(UserFactory())
    assert client.post(follow_url(private_community)).status_code == 404
    assert client.post("/c/no-such-community/follow/").status_code == 404
    assert not Follow.objects.exists()


def test_community_follow_private_stops_notices_after_leaving(client, private_community):
    member = member_of(private_community)
    client.force_login(member)
    client.post(follow_url(private_community))
    community_services.membership_leave(community=private_community, user=member)
    ask(private_community, member_of(private_community))
    assert not new_thread_notes(member).exists()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_community_follow_next_stays_on_site(client, open_community, next_url):
    client.force_login(UserFactory())
    response = client.post(follow_url(open_community), {"next": next_url})
    assert response["Location"] == open_community.get_absolute_url()


def test_community_home_shows_follow_button_for_readers_only(
    client, open_community, private_community
):
    home = open_community.get_absolute_url()
    assert follow_url(open_community) not in client.get(home).content.decode()  # anonymous
    reader = UserFactory()
    client.force_login(reader)
    html = client.get(home).content.decode()
    assert follow_url(open_community) in html and "Follow this community" in html
    client.post(follow_url(open_community))
    assert "Unfollow" in client.get(home).content.decode()
    private_html = client.get(private_community.get_absolute_url()).content.decode()
    assert follow_url(private_community) not in private_html


# --- a tag -------------------------------------------------------------------------------------


def test_tag_follow_brings_new_threads_with_that_tag(client, open_community):
    author = member_of(open_community)
    ask(open_community, author, title="First", tags=["leg ulcers"])
    reader = member_of(open_community)
    client.force_login(reader)
    response = client.post(tag_url(open_community, "leg ulcers"))
    assert response.status_code == 302
    follow = Follow.objects.get(user=reader, target=Target.TAG)
    assert follow.tag.name == "leg ulcers" and follow.community == open_community
    ask(open_community, author, title="Untagged")
    ask(open_community, author, title="Tagged again", tags=["leg ulcers", "compression"])
    assert [n.target.title for n in new_thread_notes(reader)] == ["Tagged again"]
    client.post(tag_url(open_community, "leg ulcers"), {"follow": "0"})
    assert not Follow.objects.filter(target=Target.TAG).exists()


def test_tag_follow_unknown_or_foreign_tag_is_404(client, open_community, private_community):
    ask(private_community, member_of(private_community), tags=["secret-project"])
    client.force_login(member_of(open_community))
    assert client.post(tag_url(open_community, "no-such-tag")).status_code == 404
    # The tag exists, but only on a private community's thread: no hint of it here.
    assert client.post(tag_url(open_community, "secret-project")).status_code == 404
    assert client.post(tag_url(private_community, "secret-project")).status_code == 404
    assert not Follow.objects.filter(target=Target.TAG).exists()


def test_tag_follow_hidden_thread_tag_is_404(client, open_community):
    from practice.models import Thread

    thread = ask(open_community, member_of(open_community), tags=["quiet"])
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    client.force_login(member_of(open_community))
    assert client.post(tag_url(open_community, "quiet")).status_code == 404


def test_tag_follow_odd_tag_names_never_500(client, open_community):
    ask(open_community, member_of(open_community), tags=["a/b", "c d"])
    client.force_login(member_of(open_community))
    assert client.post(tag_url(open_community, "a/b")).status_code == 302
    assert client.post(tag_url(open_community, "c d")).status_code == 302
    assert client.post(tag_url(open_community, "x" * 5000)).status_code == 404
    assert Follow.objects.filter(target=Target.TAG).count() == 2


# --- the tag's thread list offers to follow the tag (issue #13, item 1) -------------------------


def tag_list(client, community, tag):
    url = reverse("practice:thread_list", args=[community.slug])
    return client.get(url, {"tag": tag}).content.decode()


def test_tag_list_shows_followers_and_follows_the_tag(client, open_community):
    community = open_community
    ask(community, member_of(community), tags=["dressings"])
    reader = member_of(community)
    client.force_login(reader)
    html = tag_list(client, community, "dressings")
    assert "0 followers" in html and 'aria-pressed="false">Follow “dressings”' in html
    list_url = reverse("practice:thread_list", args=[community.slug]) + "?tag=dressings"
    response = client.post(tag_url(community, "dressings"), {"follow": "1", "next": list_url})
    assert response.status_code == 302 and response["Location"] == list_url
    html = tag_list(client, community, "dressings")
    assert "1 follower:" in html and 'aria-pressed="true">✓ Following “dressings”' in html
    client.post(tag_url(community, "dressings"), {"follow": "0", "next": list_url})
    assert not Follow.objects.filter(user=reader).exists()


def test_tag_list_asks_visitors_to_log_in_and_counts_followers(client, open_community):
    community = open_community
    ask(community, member_of(community), tags=["dressings"])
    for _ in range(2):
        client.force_login(member_of(community))
        client.post(tag_url(community, "dressings"), {"follow": "1"})
    client.logout()
    html = tag_list(client, community, "dressings")
    assert "2 followers" in html and "to follow this tag" in html
    assert "Follow “dressings”" not in html


def test_tag_list_has_no_box_for_a_tag_no_visible_thread_carries(client, open_community):
    community = open_community
    ask(community, member_of(community), tags=["dressings"])
    client.force_login(member_of(community))
    assert "tag-follow" not in tag_list(client, community, "nothing-like-this")
    assert "tag-follow" not in tag_list(client, community, "")


def test_tag_list_queries_do_not_grow_with_followers(
    client, open_community, django_assert_max_num_queries
):
    community = open_community
    ask(community, member_of(community), tags=["dressings"])
    for _ in range(5):
        client.force_login(member_of(community))
        client.post(tag_url(community, "dressings"), {"follow": "1"})
    tag_list(client, community, "dressings")  # warm the per-process caches
    with django_assert_max_num_queries(14):
        html = tag_list(client, community, "dressings")
    assert "5 followers" in html and "✓ Following" in html
