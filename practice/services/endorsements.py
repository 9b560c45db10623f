"""Helpful votes, accepted answers and "this worked for me" reports."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from communities.interactions import interaction_record, interactions_retract
from communities.models import Interaction, display_name
from notifications.services import Kind as NotificationKind
from notifications.services import notify
from practice import permissions
from practice.changes import post_votes_changed, thread_changed
from practice.models import AdoptionReport, Post, Thread, Vote
from practice.services.moderation_log import log_action
from practice.services.threads import thread_recount, thread_refresh_status


def post_recount_endorsements(post_id: int) -> None:
    """Recompute a post's vote and adoption counters from their rows."""
    votes = Vote.objects.filter(post_id=post_id).count()
    reports = AdoptionReport.objects.filter(post_id=post_id).aggregate(
        # Aliases must differ from the field name: Count("pk", filter=Q(worked=...)) named
        # "worked" makes Django read the filter as referring to the aggregate (FieldError).
        worked_n=Count("pk", filter=Q(worked=True)),
        did_not_n=Count("pk", filter=Q(worked=False)),
    )
    Post.objects.filter(pk=post_id).update(
        helpful_count=votes,
        worked_count=reports["worked_n"],
        did_not_work_count=reports["did_not_n"],
    )


def vote_toggle(
    *, post: Post, voter, helpful: bool | None = None, at: datetime | None = None
) -> bool:
    """Add or take back *voter*'s helpful vote on *post*; return whether the vote now stands.

    With *helpful* given, make the vote match it instead of toggling (decided under the lock,
    so a double click or concurrent requests give one vote). The post row is locked first, so
    concurrent votes serialise and the count stays exact. *at*: the vote's moment (now).
    """
    with transaction.atomic():
        post = (
            Post.objects.select_for_update().select_related("thread", "community").get(pk=post.pk)
        )
        permissions.require_can_vote(user=voter, post=post)
        existing = Vote.objects.filter(post=post, voter=voter).first()
        if helpful is not None and helpful == (existing is not None):
            return helpful
        if existing is not None:
            interactions_retract(source=existing)
            existing.delete()
            voted = False
        else:
            try:
                with transaction.atomic():
                    vote = Vote.objects.create(
                        post=post, voter=voter, created_at=at or timezone.now()
                    )
            except IntegrityError:
                return True
            interaction_record(
                community=post.community,
                actor=voter,
                target=post.author,
                kind=Interaction.Kind.VOTE,
                occurred_at=vote.created_at,
                source=vote,
            )
            voted = True
        post_recount_endorsements(post.pk)
        thread = Thread.objects.select_for_update().get(pk=post.thread_id)
        thread_recount(thread)
        thread.save(update_fields=["helpful_count"])
        post_votes_changed(post.pk)
    return voted


def vote_set(*, post: Post, voter, helpful: bool) -> bool:
    """Make *voter*'s vote match *helpful* (idempotent, for forms without JavaScript)."""
    return vote_toggle(post=post, voter=voter, helpful=helpful)


def answer_accept(*, answer: Post, by, at: datetime | None = None) -> Thread:
    """Mark *answer* as the accepted answer of its question (replacing any earlier one), at
    *at* (default now)."""
    with transaction.atomic():
        thread = (
            Thread.objects.select_for_update()
            .select_related("community", "author")
            .get(pk=answer.thread_id)
        )
        answer = Post.objects.select_related("author").get(pk=answer.pk)
        permissions.require_can_accept(user=by, thread=thread)
        if answer.is_opening or answer.is_hidden or answer.thread_id != thread.pk:
            raise ValidationError("Only a visible answer in this question can be accepted.")
        if thread.accepted_post_id == answer.pk:
            return thread
        if thread.accepted_post_id is not None:
            previous = Post.objects.get(pk=thread.accepted_post_id)
            interactions_retract(source=previous, kind=Interaction.Kind.ACCEPT)
        now = at or timezone.now()
        thread.accepted_post, thread.accepted_at = answer, now
        thread_refresh_status(thread)
        thread.last_activity_at = now
        thread.save(update_fields=["accepted_post", "accepted_at", "status", "last_activity_at"])
        interaction_record(
            community=thread.community,
            actor=thread.author,
            target=answer.author,
            kind=Interaction.Kind.ACCEPT,
            occurred_at=now,
            source=answer,
        )
        notify(
            recipient_ids=[answer.author_id],
            kind=NotificationKind.ACCEPTED,
            community=thread.community,
            actor=by,
            target=answer,
            text=f"Your answer to “{thread.title}” was accepted",
            url=answer.get_absolute_url(),
            at=now,
        )
        if by.pk != thread.author_id:
            log_action(
                community=thread.community,
                moderator=by,
                action="accept",
                thread=thread,
                post=answer,
                summary=f"Accepted {display_name(answer.author)}'s answer to “{thread.title}”",
                at=now,
            )
        thread_changed(thread.pk)
    return thread


def answer_unaccept(*, thread: Thread, by) -> Thread:
    with transaction.atomic():
        thread = Thread.objects.select_for_update().select_related("community").get(pk=thread.pk)
        permissions.require_can_unaccept(user=by, thread=thread)
        if thread.accepted_post_id is None:
            return thread
        interactions_retract(source=thread.accepted_post, kind=Interaction.Kind.ACCEPT)
        thread.accepted_post, thread.accepted_at = None, None
        thread_refresh_status(thread)
        thread.save(update_fields=["accepted_post", "accepted_at", "status"])
        thread_changed(thread.pk)
    return thread


def adoption_report(
    *, post: Post, member, worked: bool, note: str = "", at: datetime | None = None
) -> AdoptionReport:
    """Record that *post* worked (or did not) in *member*'s own practice; one report each (made
    or changed at *at*, default now)."""
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise ValidationError({"note": "Keep the note under 500 characters."})
    with transaction.atomic():
        post = (
            Post.objects.select_for_update().select_related("thread", "community").get(pk=post.pk)
        )
        permissions.require_can_report_adoption(user=member, post=post)
        now = at or timezone.now()
        report = AdoptionReport.objects.filter(post=post, member=member).first()
        if report is None:
            report = AdoptionReport.objects.create(
                post=post, member=member, worked=worked, note=note, created_at=now, updated_at=now
            )
        elif report.worked != worked or report.note != note:
            if report.worked != worked:
                interactions_retract(source=report)
                report.updated_at = now
            report.worked, report.note = worked, note
            report.save(update_fields=["worked", "note", "updated_at"])
        if report.worked:
            interaction_record(
                community=post.community,
                actor=member,
                target=post.author,
                kind=Interaction.Kind.WORKED,
                occurred_at=report.updated_at,
                source=report,
            )
        post_recount_endorsements(post.pk)
    return report


def adoption_withdraw(*, post: Post, member) -> None:
    with transaction.atomic():
        report = AdoptionReport.objects.filter(post=post, member=member).first()
        if report is None:
            return
        interactions_retract(source=report)
        report.delete()
        post_recount_endorsements(post.pk)
