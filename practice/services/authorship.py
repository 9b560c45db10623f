"""Hand what one account wrote in a community to another (an imported placeholder claimed by
the person it stands for)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from practice.changes import post_changed, thread_changed
from practice.models import (
    RSVP,
    AdoptionReport,
    Flag,
    Follow,
    Post,
    PostMention,
    PostRevision,
    Thread,
    Vote,
)


def authorship_transfer(*, community, from_user, to_user) -> int:
    """Make *to_user* the author of *from_user*'s threads, posts and revisions in *community*,
    with their mentions and follows; return the number of posts moved.

    Only for an account that never voted, reported, flagged or answered an invitation there
    (an importer's placeholder): those rows carry one person's choice and are not merged. The
    caller rebuilds the interaction log of the community (``interactions_rebuild``), which the
    new authorship changes. The search index follows each thread and post.
    """
    if from_user.pk == to_user.pk:
        raise ValidationError("Choose another account to hand the posts to.")
    with transaction.atomic():
        choices = (
            Vote.objects.filter(voter=from_user, post__community=community).exists()
            or AdoptionReport.objects.filter(member=from_user, post__community=community).exists()
            or Flag.objects.filter(reporter=from_user, community=community).exists()
            or RSVP.objects.filter(user=from_user, event__community=community).exists()
        )
        if choices:
            raise ValidationError(
                "This account voted, reported, flagged or answered an event here: only an "
                "account that wrote and nothing else can be handed over."
            )
        thread_ids = list(
            Thread.objects.filter(community=community, author=from_user).values_list(
                "pk", flat=True
            )
        )
        post_ids = list(
            Post.objects.filter(community=community, author=from_user).values_list("pk", flat=True)
        )
        Thread.objects.filter(pk__in=thread_ids).update(author=to_user)
        Post.objects.filter(pk__in=post_ids).update(author=to_user)
        PostRevision.objects.filter(post__community=community, editor=from_user).update(
            editor=to_user
        )
        mentions = PostMention.objects.filter(post__community=community, user=from_user)
        mentions.filter(post__mentions__user=to_user).delete()
        mentions.update(user=to_user)
        follows = Follow.objects.filter(community=community, user=from_user)
        already = Follow.objects.filter(community=community, user=to_user)
        follows.filter(thread__in=already.filter(target="thread").values("thread")).delete()
        follows.filter(tag__in=already.filter(target="tag").values("tag")).delete()
        if already.filter(target="community").exists():
            follows.filter(target="community").delete()
        follows.update(user=to_user)
        for thread_id in thread_ids:
            thread_changed(thread_id)
        for post_id in post_ids:
            post_changed(post_id)
    return len(post_ids)
