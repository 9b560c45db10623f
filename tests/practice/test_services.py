import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from communities.models import Interaction
from notifications.models import Notification
from practice.models import Follow, Post, PostMention, PostRevision, Thread, Vote
from practice.services import endorsements, moderation
from practice.services import threads as services
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(open_community):
    return open_community


def interactions(community):
    return set(
        Interaction.objects.filter(community=community).values_list(
            "actor__username", "target__username", "kind"
        )
    )


def test_thread_create_writes_opening_post_tags_and_follow(community):
    asker = member_of(community, username="asker")
    thread = ask(community, asker, tags=["Wounds", "wounds", "dressings"])
    assert thread.opening_post.is_opening
    assert thread.opening_post.body_html == "<p>Any tips?</p>"
    assert sorted(thread.tags.names()) == ["dressings", "wounds"]
    assert Follow.objects.filter(user=asker, thread=thread).exists()
    assert thread.status == Thread.Status.OPEN


def test_thread_create_refuses_non_members_and_bad_input(community, user):
    with pytest.raises(PermissionDenied):
        ask(community, user)
    asker = member_of(community)
    with pytest.raises(ValidationError):
        ask(community, asker, title="   ")
    with pytest.raises(ValidationError):
        ask(community, asker, body="x" * 50_001)
    with pytest.raises(ValidationError):
        services.thread_create(community=community, author=asker, kind="poll", title="t", body="b")
    assert not Thread.objects.exists()


def test_post_create_answer_and_reply_log_interactions(community):
    asker, helper, third = member_of(community), member_of(community), member_of(community)
    thread = ask(community, asker)
    first = answer(thread, helper)
    reply = answer(thread, third, body="I agree", reply_to=first)
    assert first.is_answer and not reply.is_answer
    thread.refresh_from_db()
    assert (thread.answer_count, thread.reply_count) == (1, 2)
    assert interactions(community) == {
        (helper.username, asker.username, "answer"),
        (third.username, helper.username, "reply"),
    }


def test_post_create_same_submission_makes_one_post(community):
    asker, helper = member_of(community), member_of(community)
    thread = ask(community, asker)
    one = services.post_create(thread=thread, author=helper, body="Hi", submission_key="k1")
    two = services.post_create(thread=thread, author=helper, body="Hi", submission_key="k1")
    assert one.pk == two.pk
    assert Post.objects.filter(thread=thread, is_opening=False).count() == 1


def test_post_create_refused_in_locked_thread_except_for_moderators(community):
    asker, helper, mod = member_of(community), member_of(community), moderator_of(community)
    thread = ask(community, asker)
    moderation.thread_set_locked(thread=thread, by=mod, locked=True)
    with pytest.raises(PermissionDenied):
        answer(thread, helper)
    assert answer(thread, mod).pk


def test_mentions_link_notify_and_log_once(community):
    asker = member_of(community, username="alice")
    bob = member_of(community, username="bob")
    thread = ask(community, asker, body="What do you think, @bob? Not `@bob` in code.")
    post = thread.opening_post
    assert '<a class="mention" href="/u/bob/">@bob</a>' in post.body_html
    assert post.body_html.count('class="mention"') == 1
    assert PostMention.objects.filter(post=post, user=bob).count() == 1
    assert Notification.objects.filter(recipient=bob, kind="mention").count() == 1
    services.post_edit(post=post, by=asker, body=post.body + " Again @bob.")
    assert PostMention.objects.filter(post=post, user=bob).count() == 1
    assert Interaction.objects.filter(kind="mention", target=bob).count() == 1


def test_mentions_of_non_readers_in_private_community_are_not_notified(private_community):
    insider = member_of(private_community, username="insider")
    outsider = member_of(
        private_community.__class__.objects.create(name="Other", slug="other", domain="d"),
        username="outsider",
    )
    thread = ask(private_community, insider, body="cc @outsider")
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert not PostMention.objects.filter(post=thread.opening_post).exists()


def test_post_edit_keeps_revisions(community):
    asker = member_of(community)
    thread = ask(community, asker, title="Old title", body="Old body")
    services.post_edit(post=thread.opening_post, by=asker, body="New body", title="New title")
    thread.refresh_from_db()
    assert thread.title == "New title"
    revision = PostRevision.objects.get(post=thread.opening_post)
    assert (revision.number, revision.title, revision.body) == (1, "Old title", "Old body")


def test_post_edit_by_other_member_refused(community):
    asker, other = member_of(community), member_of(community)
    thread = ask(community, asker)
    with pytest.raises(PermissionDenied):
        services.post_edit(post=thread.opening_post, by=other, body="mine now")


def test_hide_opening_post_hides_thread_and_moderator_restores(community):
    asker, mod = member_of(community), moderator_of(community)
    thread = ask(community, asker)
    services.post_hide(post=thread.opening_post, by=asker)
    thread.refresh_from_db()
    assert thread.is_hidden and thread.status == Thread.Status.HIDDEN
    with pytest.raises(PermissionDenied):
        services.post_restore(post=thread.opening_post, by=asker)
    services.post_restore(post=thread.opening_post, by=mod, reason="Was fine")
    thread.refresh_from_db()
    assert not thread.is_hidden and thread.status == Thread.Status.OPEN


def test_vote_toggle_counts_and_interactions(community):
    asker, helper, voter = member_of(community), member_of(community), member_of(community)
    thread = ask(community, asker)
    post = answer(thread, helper)
    assert endorsements.vote_toggle(post=post, voter=voter) is True
    post.refresh_from_db()
    assert post.helpful_count == 1
    assert (voter.username, helper.username, "vote") in interactions(community)
    assert endorsements.vote_toggle(post=post, voter=voter) is False
    post.refresh_from_db()
    assert post.helpful_count == 0
    assert (voter.username, helper.username, "vote") not in interactions(community)


def test_vote_refused_on_own_and_hidden_posts(community):
    asker, helper, voter = member_of(community), member_of(community), member_of(community)
    post = answer(ask(community, asker), helper)
    with pytest.raises(PermissionDenied):
        endorsements.vote_toggle(post=post, voter=helper)
    services.post_hide(post=post, by=helper)
    with pytest.raises(PermissionDenied):
        endorsements.vote_toggle(post=post, voter=voter)
    assert not Vote.objects.exists()


def test_answer_accept_and_change(community):
    asker, a1, a2 = member_of(community), member_of(community), member_of(community)
    thread = ask(community, asker)
    first, second = answer(thread, a1), answer(thread, a2)
    endorsements.answer_accept(answer=first, by=asker)
    thread.refresh_from_db()
    assert thread.accepted_post_id == first.pk and thread.status == Thread.Status.SOLVED
    assert Notification.objects.filter(recipient=a1, kind="accepted").exists()
    endorsements.answer_accept(answer=second, by=asker)
    accepts = Interaction.objects.filter(kind="accept")
    assert [(i.actor_id, i.target_id) for i in accepts] == [(asker.pk, a2.pk)]
    with pytest.raises(PermissionDenied):
        endorsements.answer_accept(answer=first, by=a1)


def test_adoption_report_upsert_and_counts(community):
    asker, helper, reader = member_of(community), member_of(community), member_of(community)
    post = answer(ask(community, asker), helper)
    endorsements.adoption_report(post=post, member=reader, worked=True)
    endorsements.adoption_report(post=post, member=reader, worked=True)
    post.refresh_from_db()
    assert (post.worked_count, post.did_not_work_count) == (1, 0)
    endorsements.adoption_report(post=post, member=reader, worked=False, note="Not in ICU")
    post.refresh_from_db()
    assert (post.worked_count, post.did_not_work_count) == (0, 1)
    assert not Interaction.objects.filter(kind="worked").exists()


def test_reply_notifies_followers_not_the_actor(community):
    asker, helper = member_of(community), member_of(community)
    thread = ask(community, asker)
    answer(thread, helper)
    assert Notification.objects.filter(recipient=asker, kind="reply").count() == 1
    assert not Notification.objects.filter(recipient=helper).exists()


def test_thread_move_carries_posts_and_interactions(community, request_community):
    asker, helper = member_of(community), member_of(community)
    mod = moderator_of(community)
    from communities.models import Membership
    from tests.factories import make_member

    make_member(request_community, mod, role=Membership.Role.MODERATOR)
    thread = ask(community, asker)
    answer(thread, helper)
    moderation.thread_move(thread=thread, to_community=request_community, by=mod)
    assert set(Post.objects.filter(thread=thread).values_list("community", flat=True)) == {
        request_community.pk
    }
    assert Interaction.objects.filter(community=request_community).count() == 1
    assert not Interaction.objects.filter(community=community).exists()
