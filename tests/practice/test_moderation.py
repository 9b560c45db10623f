"""Flags, the moderation queue, moderator actions and the audit log (services and pages)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.models import Interaction, Membership
from practice.models import Flag, Follow, ModerationAction, Post, Thread
from practice.services import moderation
from practice.services import threads as thread_services
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member

pytestmark = pytest.mark.django_db

Action = ModerationAction.Action


# --- helpers (data through the real services) --------------------------------------------------


def member(community, role=Membership.Role.MEMBER):
    """A long-standing active member (new-member rate limits do not apply)."""
    membership = make_member(community, role=role)
    Membership.objects.filter(pk=membership.pk).update(
        joined_at=timezone.now() - timedelta(days=365)
    )
    return membership.user


def moderator(community):
    return member(community, role=Membership.Role.MODERATOR)


def start_thread(community, author, title="Foam or hydrocolloid?", body="Which works better?"):
    return thread_services.thread_create(
        community=community, author=author, kind="question", title=title, body=body
    )


def reply(thread, author, body="Foam, in my ward."):
    return thread_services.post_create(thread=thread, author=author, body=body)


def open_flags(**lookup):
    return Flag.objects.filter(resolved_at__isnull=True, **lookup)


@pytest.fixture
def scene(open_community):
    """An open community with a moderator, two members, a thread and a reply."""
    community = open_community
    mod, asker, helper = moderator(community), member(community), member(community)
    thread = start_thread(community, asker)
    post = reply(thread, helper)
    return {
        "community": community,
        "mod": mod,
        "asker": asker,
        "helper": helper,
        "thread": thread,
        "post": post,
    }


@pytest.fixture
def private_scene(private_community):
    community = private_community
    mod, asker, helper = moderator(community), member(community), member(community)
    thread = start_thread(community, asker, title="CANARY private thread")
    post = reply(thread, helper, body="CANARY private reply")
    return {
        "community": community,
        "mod": mod,
        "asker": asker,
        "helper": helper,
        "thread": thread,
        "post": post,
    }


# --- flags: the service ------------------------------------------------------------------------


def test_flag_create_records_reason_note_and_reporter(scene):
    flag = moderation.flag_create(
        reporter=scene["asker"],
        thread=scene["thread"],
        post=scene["post"],
        reason=Flag.Reason.RUDE,
        note="Not how we talk here",
    )
    assert (flag.community, flag.thread, flag.post, flag.reporter) == (
        scene["community"],
        scene["thread"],
        scene["post"],
        scene["asker"],
    )
    assert flag.reason == "rude" and flag.note == "Not how we talk here"
    assert flag.resolved_at is None


def test_flag_create_twice_keeps_one_open_flag(scene):
    kwargs = {"reporter": scene["asker"], "thread": scene["thread"], "post": scene["post"]}
    first = moderation.flag_create(**kwargs, reason=Flag.Reason.SPAM)
    second = moderation.flag_create(**kwargs, reason=Flag.Reason.RUDE)
    assert first.pk == second.pk
    assert open_flags(post=scene["post"]).count() == 1


def test_flag_create_of_thread_and_of_its_post_are_distinct(scene):
    moderation.flag_create(
        reporter=scene["asker"], thread=scene["thread"], post=None, reason="spam"
    )
    moderation.flag_create(
        reporter=scene["asker"], thread=scene["thread"], post=scene["post"], reason="spam"
    )
    assert open_flags(thread=scene["thread"]).count() == 2


@pytest.mark.parametrize("reason", ["", "bogus", "SPAM", None])
def test_flag_create_rejects_unknown_reasons(scene, reason):
    with pytest.raises(ValidationError):
        moderation.flag_create(
            reporter=scene["asker"], thread=scene["thread"], post=None, reason=reason
        )
    assert not Flag.objects.exists()


def test_flag_create_refuses_non_members(scene):
    with pytest.raises(PermissionDenied):
        moderation.flag_create(
            reporter=UserFactory(), thread=scene["thread"], post=None, reason="spam"
        )


def test_flag_create_refuses_a_post_of_another_thread(scene):
    other = start_thread(scene["community"], scene["helper"], title="Another")
    with pytest.raises(ValidationError):
        moderation.flag_create(
            reporter=scene["asker"], thread=other, post=scene["post"], reason="spam"
        )


def test_flag_create_after_dismissal_opens_a_new_flag(scene):
    kwargs = {"reporter": scene["asker"], "thread": scene["thread"], "post": scene["post"]}
    moderation.flag_create(**kwargs, reason="spam")
    moderation.content_flags_dismiss(thread=scene["thread"], post=scene["post"], by=scene["mod"])
    moderation.flag_create(**kwargs, reason="spam")
    assert Flag.objects.filter(post=scene["post"]).count() == 2
    assert open_flags(post=scene["post"]).count() == 1


# --- actions: the services ---------------------------------------------------------------------


def test_post_hide_by_its_author_closes_its_flags_without_a_log_entry(scene):
    moderation.flag_create(
        reporter=scene["asker"], thread=scene["thread"], post=scene["post"], reason="spam"
    )
    thread_services.post_hide(post=scene["post"], by=scene["helper"])
    flag = Flag.objects.get()
    assert flag.resolution == Flag.Resolution.HIDDEN and flag.resolved_by == scene["helper"]
    assert not ModerationAction.objects.exists()


def test_content_hide_of_opening_post_closes_thread_and_opening_post_flags(scene):
    thread, other_reporter = scene["thread"], member(scene["community"])
    moderation.flag_create(reporter=scene["helper"], thread=thread, post=None, reason="spam")
    moderation.flag_create(
        reporter=other_reporter, thread=thread, post=thread.opening_post, reason="rude"
    )
    moderation.flag_create(
        reporter=other_reporter, thread=thread, post=scene["post"], reason="rude"
    )
    moderation.content_hide(post=thread.opening_post, by=scene["mod"], reason="spam wave")
    thread.refresh_from_db()
    assert thread.is_hidden and thread.status == Thread.Status.HIDDEN
    assert list(open_flags().values_list("post", flat=True)) == [scene["post"].pk]
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.reason) == (scene["mod"], "hide", "spam wave")


def test_content_hide_of_already_hidden_post_only_closes_flags(scene):
    thread_services.post_hide(post=scene["post"], by=scene["helper"])
    moderation.flag_create(
        reporter=scene["asker"], thread=scene["thread"], post=None, reason="spam"
    )
    Flag.objects.update(post=scene["post"])  # a flag raced in before the author hid the post
    moderation.content_hide(post=Post.objects.get(pk=scene["post"].pk), by=scene["mod"])
    assert not open_flags().exists()


def test_content_hide_of_hidden_post_refused_for_members(scene):
    thread_services.post_hide(post=scene["post"], by=scene["helper"])
    with pytest.raises(PermissionDenied):
        moderation.content_hide(post=Post.objects.get(pk=scene["post"].pk), by=scene["helper"])


def test_content_flags_dismiss_closes_only_that_content_and_logs_once(scene):
    thread = scene["thread"]
    for reporter in (scene["helper"], member(scene["community"])):
        moderation.flag_create(reporter=reporter, thread=thread, post=None, reason="spam")
    moderation.flag_create(
        reporter=scene["asker"], thread=thread, post=scene["post"], reason="rude"
    )
    count = moderation.content_flags_dismiss(thread=thread, post=None, by=scene["mod"], reason="ok")
    assert count == 2
    assert list(open_flags().values_list("post", flat=True)) == [scene["post"].pk]
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.reason, entry.moderator) == (
        Action.DISMISS_FLAG,
        "ok",
        scene["mod"],
    )


def test_content_flags_dismiss_refused_for_members(scene):
    with pytest.raises(PermissionDenied):
        moderation.content_flags_dismiss(thread=scene["thread"], post=None, by=scene["asker"])


def test_thread_move_refuses_a_community_the_moderator_does_not_moderate(scene):
    elsewhere = CommunityFactory()
    member(elsewhere)  # somebody else's community
    make_member(elsewhere, scene["mod"])  # a plain member there, not a moderator
    with pytest.raises(PermissionDenied):
        moderation.thread_move(thread=scene["thread"], to_community=elsewhere, by=scene["mod"])
    assert Thread.objects.get(pk=scene["thread"].pk).community == scene["community"]


def test_thread_move_carries_follows_flags_and_logs_in_both_communities(scene):
    target = CommunityFactory()
    make_member(target, scene["mod"], role=Membership.Role.MODERATOR)
    moderation.flag_create(
        reporter=scene["helper"], thread=scene["thread"], post=None, reason="off_topic"
    )
    moderation.thread_move(
        thread=scene["thread"], to_community=target, by=scene["mod"], reason="belongs there"
    )
    assert set(
        Follow.objects.filter(thread=scene["thread"]).values_list("community", flat=True)
    ) == {target.pk}
    assert Flag.objects.get().community == target
    assert set(ModerationAction.objects.values_list("community", "action", "reason")) == {
        (scene["community"].pk, "move", "belongs there"),
        (target.pk, "move", "belongs there"),
    }


# --- the flag pages ----------------------------------------------------------------------------


def flag_thread_url(scene):
    return reverse("practice:flag_thread", args=[scene["community"].slug, scene["thread"].pk])


def flag_post_url(scene):
    return reverse("practice:flag_post", args=[scene["community"].slug, scene["post"].pk])


def test_flag_page_shows_the_form_to_members(client, scene):
    client.force_login(scene["asker"])
    response = client.get(flag_post_url(scene))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Spam or advertising" in content and 'name="note"' in content
    assert "Foam, in my ward." in content


def test_flag_post_page_creates_a_flag_and_redirects_to_the_post(client, scene):
    client.force_login(scene["asker"])
    data = {"reason": "unsafe", "note": "Dangerous dose"}
    response = client.post(flag_post_url(scene), data)
    assert response.status_code == 302
    # To the post's own address, which leads on to its page of the thread.
    assert client.get(response.url)["Location"].endswith(f"#post-{scene['post'].pk}")
    flag = Flag.objects.get()
    assert (flag.post, flag.reason, flag.note) == (scene["post"], "unsafe", "Dangerous dose")
    client.post(flag_post_url(scene), data)  # a second submit
    assert Flag.objects.count() == 1


def test_flag_thread_page_flags_the_whole_thread(client, scene):
    client.force_login(scene["helper"])
    response = client.post(flag_thread_url(scene), {"reason": "off_topic"})
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert flag.thread == scene["thread"] and flag.post is None


@pytest.mark.parametrize(
    "data, error",
    [
        ({"note": "no reason given"}, "Choose a reason."),
        ({"reason": "bogus", "note": "no reason given"}, "Choose a reason."),
        ({"reason": "spam", "note": "no reason given" + "x" * 10_000}, "at most 500"),
    ],
)
def test_flag_page_bad_input_is_a_form_error_that_keeps_the_note(client, scene, data, error):
    client.force_login(scene["asker"])
    response = client.post(flag_post_url(scene), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert error in content and "no reason given" in content
    assert not Flag.objects.exists()


def test_flag_page_refuses_non_members_of_an_open_community(client, scene):
    client.force_login(UserFactory())
    assert client.get(flag_thread_url(scene)).status_code == 403
    assert client.post(flag_post_url(scene), {"reason": "spam"}).status_code == 403
    assert not Flag.objects.exists()


def test_flag_page_of_private_community_is_404_for_outsiders(client, private_scene):
    client.force_login(UserFactory())
    for url in (flag_thread_url(private_scene), flag_post_url(private_scene)):
        response = client.get(url)
        assert response.status_code == 404
        assert b"CANARY" not in response.content


def test_flag_page_sends_anonymous_visitors_to_log_in(client, scene):
    response = client.get(flag_thread_url(scene))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_flag_page_of_unknown_or_hidden_content_is_404(client, scene):
    client.force_login(scene["asker"])
    slug = scene["community"].slug
    assert client.get(reverse("practice:flag_thread", args=[slug, 999999])).status_code == 404
    assert client.get(reverse("practice:flag_post", args=[slug, 999999])).status_code == 404
    thread_services.post_hide(post=scene["post"], by=scene["helper"])
    assert client.get(flag_post_url(scene)).status_code == 404


def test_flag_page_nul_character_is_400(client, scene):
    client.force_login(scene["asker"])
    response = client.post(flag_post_url(scene), {"reason": "spam", "note": "a\x00b"})
    assert response.status_code == 400
    assert not Flag.objects.exists()


# --- the queue ---------------------------------------------------------------------------------


def queue_url(community):
    return reverse("practice:moderation_queue", args=[community.slug])


def log_url(community):
    return reverse("practice:moderation_log", args=[community.slug])


def test_queue_shows_flags_hidden_content_and_join_requests(client, scene, request_community):
    community = scene["community"]
    reporter = member(community)
    moderation.flag_create(
        reporter=reporter,
        thread=scene["thread"],
        post=scene["post"],
        reason="unsafe",
        note="Check the dose",
    )
    hidden = reply(scene["thread"], scene["asker"], body="An embarrassing reply")
    thread_services.post_hide(post=hidden, by=scene["asker"])
    pending = make_member(community, state=Membership.State.PENDING)
    client.force_login(scene["mod"])
    response = client.get(queue_url(community))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Unsafe advice" in content and "Check the dose" in content
    assert reporter.username in content and "Foam, in my ward." in content
    assert "An embarrassing reply" in content and "(the author)" in content
    # Join requests are decided on one page, communities' requests page: the queue counts
    # them and links there (issue #13, item 10).
    assert pending.user.username not in content
    assert "Requests to join (1)" in content and "1 person is waiting to join" in content
    assert reverse("communities:moderate", args=[community.slug]) in content
    assert reverse("practice:content_hide", args=[community.slug, scene["post"].pk]) in content
    assert reverse("practice:moderation_log", args=[community.slug]) in content


def test_queue_groups_flags_by_content(client, scene):
    for _ in range(3):
        moderation.flag_create(
            reporter=member(scene["community"]),
            thread=scene["thread"],
            post=scene["post"],
            reason="spam",
        )
    moderation.flag_create(
        reporter=scene["helper"], thread=scene["thread"], post=None, reason="off_topic"
    )
    client.force_login(scene["mod"])
    response = client.get(queue_url(scene["community"]))
    groups = response.context["groups"]
    assert [(g.post, g.flag_count, len(g.flags)) for g in groups] == [
        (scene["post"], 3, 3),
        (None, 1, 1),
    ]
    assert groups[1].target_post == scene["thread"].opening_post


def test_queue_move_select_offers_only_moderated_communities(client, scene):
    mine = CommunityFactory(name="Mine to moderate")
    make_member(mine, scene["mod"], role=Membership.Role.MODERATOR)
    CommunityFactory(name="Not mine")
    moderation.flag_create(
        reporter=scene["helper"], thread=scene["thread"], post=None, reason="spam"
    )
    client.force_login(scene["mod"])
    response = client.get(queue_url(scene["community"]))
    assert [c.name for c in response.context["move_targets"]] == ["Mine to moderate"]
    content = response.content.decode()
    assert "Mine to moderate" in content and "Not mine" not in content


def test_queue_is_empty_state_without_flags(client, scene):
    client.force_login(scene["mod"])
    response = client.get(queue_url(scene["community"]))
    assert b"No open flags" in response.content and b"Nothing is hidden" in response.content


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999", "0"])
def test_queue_and_log_survive_bad_page_numbers(client, scene, page):
    client.force_login(scene["mod"])
    assert client.get(queue_url(scene["community"]), {"page": page}).status_code == 200
    assert client.get(log_url(scene["community"]), {"page": page}).status_code == 200


@pytest.mark.parametrize("url_for", [queue_url, log_url])
def test_moderation_pages_refuse_members_with_403(client, scene, url_for):
    client.force_login(scene["asker"])
    assert client.get(url_for(scene["community"])).status_code == 403


@pytest.mark.parametrize("url_for", [queue_url, log_url])
def test_moderation_pages_of_private_community_are_404_for_outsiders(
    client, private_scene, url_for
):
    client.force_login(UserFactory())
    response = client.get(url_for(private_scene["community"]))
    assert response.status_code == 404 and b"CANARY" not in response.content


@pytest.mark.parametrize("url_for", [queue_url, log_url])
def test_moderation_pages_send_anonymous_visitors_to_log_in(client, scene, url_for):
    response = client.get(url_for(scene["community"]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("url_for", [queue_url, log_url])
def test_moderation_pages_are_open_to_admins(client, private_scene, url_for):
    client.force_login(make_admin())
    assert client.get(url_for(private_scene["community"])).status_code == 200


def test_moderation_pages_unknown_community_is_404(client, scene):
    client.force_login(scene["mod"])
    for name in ("practice:moderation_queue", "practice:moderation_log"):
        assert client.get(reverse(name, args=["no-such-community"])).status_code == 404


def test_community_header_links_moderators_to_both_moderation_pages(client, scene):
    community = scene["community"]
    client.force_login(scene["mod"])
    content = client.get(community.get_absolute_url()).content.decode()
    assert queue_url(community) in content and ">Moderation<" in content
    assert reverse("communities:moderate", args=[community.slug]) in content
    assert "Requests &amp; invitations" in content
    client.force_login(scene["asker"])
    content = client.get(community.get_absolute_url()).content.decode()
    assert queue_url(community) not in content


# --- actions through the pages -----------------------------------------------------------------


def _action_url(name, scene, target):
    obj = scene[target]
    return reverse(f"practice:{name}", args=[scene["community"].slug, obj.pk])


def test_hide_post_action_hides_closes_flags_and_logs(client, scene):
    moderation.flag_create(
        reporter=scene["asker"], thread=scene["thread"], post=scene["post"], reason="rude"
    )
    client.force_login(scene["mod"])
    url = _action_url("content_hide", scene, "post")
    response = client.post(
        url, {"reason": "Personal attack", "next": queue_url(scene["community"])}
    )
    assert response.status_code == 302 and response.url == queue_url(scene["community"])
    post = Post.objects.get(pk=scene["post"].pk)
    assert post.is_hidden and post.hidden_by == scene["mod"]
    assert Flag.objects.get().resolution == Flag.Resolution.HIDDEN
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.reason, entry.post) == (
        scene["mod"],
        Action.HIDE,
        "Personal attack",
        post,
    )


def test_hide_thread_action_hides_the_opening_post_and_thread(client, scene):
    client.force_login(scene["mod"])
    opening = scene["thread"].opening_post
    url = reverse("practice:content_hide", args=[scene["community"].slug, opening.pk])
    response = client.post(url, {"reason": "Spam"})
    assert response.status_code == 302 and response.url == queue_url(scene["community"])
    thread = Thread.objects.get(pk=scene["thread"].pk)
    assert thread.is_hidden and thread.status == Thread.Status.HIDDEN
    assert ModerationAction.objects.get().action == Action.HIDE


def test_hide_action_by_the_author_of_the_post(client, scene):
    client.force_login(scene["helper"])
    response = client.post(_action_url("content_hide", scene, "post"), {"reason": ""})
    assert response.status_code == 302
    assert Post.objects.get(pk=scene["post"].pk).is_hidden
    assert not ModerationAction.objects.exists()  # deleting one's own post is no moderation


def test_restore_action_shows_the_post_again_and_logs(client, scene):
    thread_services.post_hide(post=scene["post"], by=scene["mod"])
    client.force_login(scene["mod"])
    response = client.post(_action_url("content_restore", scene, "post"), {"reason": "Appeal"})
    assert response.status_code == 302
    assert not Post.objects.get(pk=scene["post"].pk).is_hidden
    entry = ModerationAction.objects.get(action=Action.RESTORE)
    assert (entry.moderator, entry.reason) == (scene["mod"], "Appeal")


@pytest.mark.parametrize("locked_before, name", [(False, "thread_lock"), (True, "thread_unlock")])
def test_lock_and_unlock_actions(client, scene, locked_before, name):
    if locked_before:
        moderation.thread_set_locked(thread=scene["thread"], by=scene["mod"], locked=True)
        ModerationAction.objects.all().delete()
    client.force_login(scene["mod"])
    response = client.post(_action_url(name, scene, "thread"), {"reason": "Heated"})
    assert response.status_code == 302
    assert response.url == scene["thread"].get_absolute_url()
    thread = Thread.objects.get(pk=scene["thread"].pk)
    assert thread.is_locked is not locked_before
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.reason, entry.thread) == (
        scene["mod"],
        Action.UNLOCK if locked_before else Action.LOCK,
        "Heated",
        thread,
    )


def test_lock_action_honours_a_safe_next_only(client, scene):
    client.force_login(scene["mod"])
    url = _action_url("thread_lock", scene, "thread")
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.url == scene["thread"].get_absolute_url()
    response = client.post(
        _action_url("thread_unlock", scene, "thread"), {"next": queue_url(scene["community"])}
    )
    assert response.url == queue_url(scene["community"])


def test_move_action_moves_posts_and_interactions_and_logs(client, scene):
    target = CommunityFactory(name="Tissue viability")
    make_member(target, scene["mod"], role=Membership.Role.MODERATOR)
    assert Interaction.objects.filter(community=scene["community"]).count() == 1
    client.force_login(scene["mod"])
    response = client.post(
        _action_url("thread_move", scene, "thread"), {"to": target.slug, "reason": "Better fit"}
    )
    assert response.status_code == 302
    thread = Thread.objects.get(pk=scene["thread"].pk)
    assert thread.community == target
    assert response.url == thread.get_absolute_url()
    assert set(Post.objects.filter(thread=thread).values_list("community", flat=True)) == {
        target.pk
    }
    assert Interaction.objects.filter(community=target).count() == 1
    assert not Interaction.objects.filter(community=scene["community"]).exists()
    entries = ModerationAction.objects.filter(action=Action.MOVE, reason="Better fit")
    assert {e.community_id for e in entries} == {scene["community"].pk, target.pk}
    assert {e.moderator for e in entries} == {scene["mod"]}


def test_move_action_to_a_community_not_moderated_is_403(client, scene):
    elsewhere = CommunityFactory()
    make_member(elsewhere, scene["mod"])  # a member there, not a moderator
    client.force_login(scene["mod"])
    response = client.post(_action_url("thread_move", scene, "thread"), {"to": elsewhere.slug})
    assert response.status_code == 403
    assert Thread.objects.get(pk=scene["thread"].pk).community == scene["community"]
    assert not ModerationAction.objects.exists()


def test_move_action_to_an_unknown_community_is_a_form_error(client, scene):
    client.force_login(scene["mod"])
    response = client.post(
        _action_url("thread_move", scene, "thread"), {"to": "nowhere", "reason": "kept text"}
    )
    assert response.status_code == 400
    assert b"Choose a community you moderate." in response.content
    assert b"kept text" in response.content


def test_move_page_offers_only_moderated_communities(client, scene):
    mine = CommunityFactory(name="Mine to moderate")
    make_member(mine, scene["mod"], role=Membership.Role.MODERATOR)
    CommunityFactory(name="Not mine")
    client.force_login(scene["mod"])
    response = client.get(_action_url("thread_move", scene, "thread"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Mine to moderate" in content and "Not mine" not in content
    assert f'<option value="{scene["community"].slug}"' not in content


@pytest.mark.parametrize("target", ["post", "thread"])
def test_dismiss_action_closes_flags_and_logs(client, scene, target):
    post = scene["post"] if target == "post" else None
    moderation.flag_create(
        reporter=scene["asker"], thread=scene["thread"], post=post, reason="spam"
    )
    name = "post_flags_dismiss" if target == "post" else "thread_flags_dismiss"
    client.force_login(scene["mod"])
    response = client.post(_action_url(name, scene, target), {"reason": "Fine as it is"})
    assert response.status_code == 302 and response.url == queue_url(scene["community"])
    flag = Flag.objects.get()
    assert flag.resolution == Flag.Resolution.DISMISSED and flag.resolved_by == scene["mod"]
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.reason) == (
        scene["mod"],
        Action.DISMISS_FLAG,
        "Fine as it is",
    )
    assert not Post.objects.get(pk=scene["post"].pk).is_hidden


ACTIONS = [
    ("thread_lock", "thread"),
    ("thread_unlock", "thread"),
    ("thread_move", "thread"),
    ("content_hide", "post"),
    ("thread_flags_dismiss", "thread"),
    ("post_flags_dismiss", "post"),
]


@pytest.mark.parametrize("name, target", ACTIONS)
def test_actions_are_403_for_members(client, scene, name, target):
    other = CommunityFactory()
    make_member(other, scene["asker"], role=Membership.Role.MODERATOR)
    client.force_login(scene["asker"])  # a member here (and a moderator elsewhere)
    url = _action_url(name, scene, target)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "", "to": other.slug}).status_code == 403
    assert not ModerationAction.objects.exists()
    assert Thread.objects.get(pk=scene["thread"].pk).community == scene["community"]
    assert not Post.objects.filter(is_hidden=True).exists()


def test_restore_action_of_a_hidden_post_is_404_for_members(client, scene):
    thread_services.post_hide(post=scene["post"], by=scene["mod"])
    client.force_login(scene["asker"])  # members cannot even see hidden posts
    assert client.post(_action_url("content_restore", scene, "post")).status_code == 404
    assert Post.objects.get(pk=scene["post"].pk).is_hidden


@pytest.mark.parametrize("name, target", [*ACTIONS, ("content_restore", "post")])
def test_actions_of_private_community_are_404_for_outsiders(client, private_scene, name, target):
    client.force_login(UserFactory())
    url = _action_url(name, private_scene, target)
    assert client.get(url).status_code == 404
    response = client.post(url, {"reason": ""})
    assert response.status_code == 404 and b"CANARY" not in response.content


@pytest.mark.parametrize("name, target", [*ACTIONS, ("content_restore", "post")])
def test_actions_send_anonymous_visitors_to_log_in(client, scene, name, target):
    response = client.post(_action_url(name, scene, target), {"reason": ""})
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("name", [n for n, _ in ACTIONS] + ["content_restore"])
def test_actions_on_unknown_ids_are_404(client, scene, name):
    client.force_login(scene["mod"])
    url = reverse(f"practice:{name}", args=[scene["community"].slug, 999999])
    assert client.post(url, {"reason": ""}).status_code == 404


def test_actions_on_content_of_another_community_are_404(client, scene):
    other = CommunityFactory()
    other_thread = start_thread(other, member(other))
    client.force_login(scene["mod"])
    url = reverse("practice:thread_lock", args=[scene["community"].slug, other_thread.pk])
    assert client.post(url).status_code == 404
    assert not Thread.objects.get(pk=other_thread.pk).is_locked


@pytest.mark.parametrize("name, target", ACTIONS)
def test_actions_with_a_10000_character_reason_are_a_form_error(client, scene, name, target):
    client.force_login(scene["mod"])
    reason = "too long " + "x" * 10_000
    response = client.post(_action_url(name, scene, target), {"reason": reason, "to": "x"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "at most 500 characters" in content and "too long xxx" in content
    assert not ModerationAction.objects.exists()
    thread = Thread.objects.get(pk=scene["thread"].pk)
    assert not thread.is_locked and not Post.objects.filter(is_hidden=True).exists()


@pytest.mark.parametrize("name, target", ACTIONS)
def test_actions_with_a_nul_character_are_400(client, scene, name, target):
    client.force_login(scene["mod"])
    response = client.post(_action_url(name, scene, target), {"reason": "a\x00b"})
    assert response.status_code == 400
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize("name, target", [*ACTIONS, ("content_restore", "post")])
def test_action_pages_show_a_form_to_moderators(client, scene, name, target):
    if name == "content_restore":
        thread_services.post_hide(post=scene["post"], by=scene["mod"])
    client.force_login(scene["mod"])
    response = client.get(_action_url(name, scene, target))
    assert response.status_code == 200
    assert b'name="reason"' in response.content and b"csrfmiddlewaretoken" in response.content


# --- the audit log -----------------------------------------------------------------------------


def test_log_lists_who_what_when_why(client, scene):
    moderation.thread_set_locked(
        thread=scene["thread"], by=scene["mod"], locked=True, reason="Cooling off"
    )
    thread_services.post_hide(post=scene["post"], by=scene["mod"], reason="Off topic reply")
    client.force_login(scene["mod"])
    response = client.get(log_url(scene["community"]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Cooling off" in content and "Off topic reply" in content
    assert scene["mod"].username in content and "Locked" in content and "Hid" in content
    assert [e.action for e in response.context["page"].object_list] == ["hide", "lock"]


def test_log_filters_by_action(client, scene):
    moderation.thread_set_locked(thread=scene["thread"], by=scene["mod"], locked=True)
    moderation.thread_set_locked(thread=scene["thread"], by=scene["mod"], locked=False)
    client.force_login(scene["mod"])
    response = client.get(log_url(scene["community"]), {"action": "unlock"})
    assert [e.action for e in response.context["page"].object_list] == ["unlock"]
    response = client.get(log_url(scene["community"]), {"action": "bogus"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 2


def test_log_shows_only_its_own_community(client, scene):
    other = CommunityFactory()
    other_mod = moderator(other)
    other_thread = start_thread(other, member(other), title="Elsewhere")
    moderation.thread_set_locked(thread=other_thread, by=other_mod, locked=True, reason="OTHER")
    client.force_login(scene["mod"])
    assert b"OTHER" not in client.get(log_url(scene["community"])).content
    assert client.get(log_url(other)).status_code == 403


def test_admin_lists_moderation_actions_read_only(client, scene):
    moderation.thread_set_locked(
        thread=scene["thread"], by=scene["mod"], locked=True, reason="Audit me"
    )
    entry = ModerationAction.objects.get()
    client.force_login(make_admin())
    response = client.get(reverse("admin:practice_moderationaction_changelist"))
    assert response.status_code == 200 and b"Audit me" in response.content
    assert client.get(reverse("admin:practice_moderationaction_add")).status_code == 403
    response = client.post(
        reverse("admin:practice_moderationaction_change", args=[entry.pk]),
        {"reason": "rewritten"},
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:practice_moderationaction_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert ModerationAction.objects.get().reason == "Audit me"


@pytest.mark.parametrize(
    "model",
    ["thread", "post", "vote", "adoptionreport", "flag", "follow", "event"],
)
def test_admin_changelists_of_practice_models_render(client, scene, model):
    moderation.flag_create(
        reporter=scene["asker"], thread=scene["thread"], post=None, reason="spam"
    )
    client.force_login(make_admin())
    response = client.get(reverse(f"admin:practice_{model}_changelist"), {"q": "foam"})
    assert response.status_code == 200


def test_actions_are_open_to_admins_in_private_communities(client, private_scene):
    client.force_login(make_admin())
    response = client.post(
        _action_url("thread_lock", private_scene, "thread"), {"reason": "Admin lock"}
    )
    assert response.status_code == 302
    assert Thread.objects.get(pk=private_scene["thread"].pk).is_locked
    assert ModerationAction.objects.get().reason == "Admin lock"


def test_thread_move_asks_both_communities_for_a_full_metrics_run(scene):
    from metrics.models import MetricsState

    target = CommunityFactory()
    make_member(target, scene["mod"], role=Membership.Role.MODERATOR)
    for community in (scene["community"], target):
        MetricsState.objects.update_or_create(
            community=community, defaults={"full_requested_at": None}
        )
    moderation.thread_move(thread=scene["thread"], to_community=target, by=scene["mod"])
    states = MetricsState.objects.filter(community__in=[scene["community"], target])
    assert [state.full_requested_at is not None for state in states] == [True, True]
