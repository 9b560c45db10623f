"""Helpful votes, accepted answers and "this worked for me" reports."""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities.interactions import (
    interaction_record,
    interactions_retract,
    interactions_write,
    spec_for,
)
from communities.models import Interaction, display_name
from notifications.services import Kind as NotificationKind
from notifications.services import notify
from practice import permissions
from practice.changes import post_votes_changed, thread_changed
from practice.models import AdoptionReport, Post, Thread, Vote
from practice.services.moderation_log import log_action
from practice.services.threads import (
    thread_refresh_status,
    threads_recount_helpful,
)

# Rows per INSERT in the bulk paths: SQLite's limit on bound variables (4 columns x 500).
BULK_BATCH_SIZE = 500


def post_recount_endorsements(post_id: int) -> None:
    """Recompute a post's vote and adoption counters from their rows."""
    posts_recount_endorsements([post_id])


def _count_per_post(rows) -> Coalesce:
    counted = rows.filter(post=OuterRef("pk")).order_by().values("post").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), 0)


def posts_recount_endorsements(post_ids) -> None:
    """Recompute the vote and adoption counters of the posts *post_ids* from their rows, in one
    UPDATE."""
    Post.objects.filter(pk__in=post_ids).update(
        helpful_count=_count_per_post(Vote.objects.all()),
        worked_count=_count_per_post(AdoptionReport.objects.filter(worked=True)),
        did_not_work_count=_count_per_post(AdoptionReport.objects.filter(worked=False)),
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
        threads_recount_helpful([post.thread_id])  # its row is locked with the post's
        post_votes_changed(post.pk)
    return voted


def votes_record(*, votes: Sequence[tuple[Post, object, datetime | None]]) -> list:
    """Toggle many helpful votes at once, in the order given: ``(post, voter, at)`` each.

    Writes what calling ``vote_toggle`` for each in turn writes (the vote rows, numbered in the
    same order, their interaction rows, the posts' and threads' counters and the changed-votes
    notices), with one lock on the posts, one insert per table and one recount for every post
    and thread touched. For backfills of many votes (``seed_demo``). Each vote is checked as
    ``vote_toggle`` checks it, against the posts as they are now; return, per vote, whether it
    stands afterwards or the ``PermissionDenied`` that refused it (a refused vote writes nothing).
    """
    if not votes:
        return []
    results: list = []
    with transaction.atomic():
        post_ids = sorted({post.pk for post, _voter, _at in votes})
        posts = (
            Post.objects.select_for_update()
            .select_related("thread", "community")
            .filter(pk__in=post_ids)
            .order_by("pk")
        )
        posts = {post.pk: post for post in posts}
        existing = {(v.post_id, v.voter_id): v for v in Vote.objects.filter(post_id__in=post_ids)}
        standing = dict(existing)  # (post id, voter id) -> the vote that stands now
        created: list[Vote] = []  # every vote made, in order, even one taken back later
        for post, voter, at in votes:
            post = posts[post.pk]
            try:
                permissions.require_can_vote(user=voter, post=post)
            except PermissionDenied as refusal:
                results.append(refusal)
                continue
            key = (post.pk, voter.pk)
            if standing.get(key) is not None:
                standing[key] = None
                results.append(False)
            else:
                standing[key] = Vote(post=post, voter=voter, created_at=at or timezone.now())
                created.append(standing[key])
                results.append(True)
        # Votes that stood before and were taken back: their logged interactions go too.
        for key, vote in existing.items():
            if standing[key] is not vote:
                interactions_retract(source=vote)
                vote.delete()
        kept = [v for v in created if standing[(v.post_id, v.voter_id)] is v]
        _votes_insert(created, kept={id(v) for v in kept})
        interactions_write(
            spec_for(
                community_id=v.post.community_id,
                actor_id=v.voter_id,
                target_id=v.post.author_id,
                kind=Interaction.Kind.VOTE,
                occurred_at=v.created_at,
                source=v,
            )
            for v in kept
        )
        touched = sorted(
            {
                post.pk
                for (post, _v, _a), r in zip(votes, results, strict=True)
                if not isinstance(r, PermissionDenied)
            }
        )
        posts_recount_endorsements(touched)
        threads_recount_helpful(sorted({posts[pk].thread_id for pk in touched}))
        for post_id in touched:
            post_votes_changed(post_id)
    return results


def _votes_insert(created: list[Vote], *, kept: set[int]) -> None:
    """Insert *created* in order, then delete the ones taken back (not in *kept*, by ``id()``),
    so that ids are given as one-by-one toggles give them. A vote made again after being taken
    back starts a new insert, as the two rows may not exist together."""
    batch: list[Vote] = []
    pairs: set[tuple[int, int]] = set()
    for vote in [*created, None]:
        pair = None if vote is None else (vote.post_id, vote.voter_id)
        if vote is None or pair in pairs:
            Vote.objects.bulk_create(batch, batch_size=BULK_BATCH_SIZE)
            Vote.objects.filter(pk__in=[v.pk for v in batch if id(v) not in kept]).delete()
            batch, pairs = [], set()
        if vote is not None:
            batch.append(vote)
            pairs.add(pair)


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


def adoption_reports_record(
    *, reports: Sequence[tuple[Post, object, bool, str, datetime | None]]
) -> list:
    """Record many "worked for me" reports at once, in the order given: ``(post, member,
    worked, note, at)`` each.

    Writes what calling ``adoption_report`` for each in turn writes (the report rows, numbered
    in the same order, a report changed later updated in place, their interaction rows and the
    posts' counters), with one lock on the posts, one insert per table and one recount per
    post. For backfills (``seed_demo``). Each report is checked as ``adoption_report`` checks
    it; return, per report, its row or the ``ValidationError`` or ``PermissionDenied`` that
    refused it (a refused report writes nothing).
    """
    if not reports:
        return []
    results: list = []
    with transaction.atomic():
        post_ids = sorted({post.pk for post, *_rest in reports})
        posts = (
            Post.objects.select_for_update()
            .select_related("thread", "community")
            .filter(pk__in=post_ids)
            .order_by("pk")
        )
        posts = {post.pk: post for post in posts}
        saved = {
            (r.post_id, r.member_id): r for r in AdoptionReport.objects.filter(post_id__in=post_ids)
        }
        saved_as = {key: (r.worked, r.note, r.updated_at) for key, r in saved.items()}
        current = dict(saved)
        created: list[AdoptionReport] = []
        for post, member, worked, note, at in reports:
            note = " ".join((note or "").split())
            if len(note) > 500:
                results.append(ValidationError({"note": "Keep the note under 500 characters."}))
                continue
            post = posts[post.pk]
            try:
                permissions.require_can_report_adoption(user=member, post=post)
            except PermissionDenied as refusal:
                results.append(refusal)
                continue
            now = at or timezone.now()
            report = current.get((post.pk, member.pk))
            if report is None:
                report = AdoptionReport(
                    post=post,
                    member=member,
                    worked=worked,
                    note=note,
                    created_at=now,
                    updated_at=now,
                )
                current[(post.pk, member.pk)] = report
                created.append(report)
            elif report.worked != worked or report.note != note:
                if report.worked != worked:
                    report.updated_at = now
                report.worked, report.note = worked, note
            results.append(report)
        changed = [
            r for key, r in saved.items() if (r.worked, r.note, r.updated_at) != saved_as[key]
        ]
        # A report that changed its mind was logged anew from its new moment, as one by one.
        relogged = [r for r in changed if r.updated_at != saved_as[(r.post_id, r.member_id)][2]]
        for report in relogged:
            interactions_retract(source=report)
        AdoptionReport.objects.bulk_update(changed, ["worked", "note", "updated_at"])
        AdoptionReport.objects.bulk_create(created, batch_size=BULK_BATCH_SIZE)
        interactions_write(
            spec_for(
                community_id=r.post.community_id,
                actor_id=r.member_id,
                target_id=r.post.author_id,
                kind=Interaction.Kind.WORKED,
                occurred_at=r.updated_at,
                source=r,
            )
            for r in [*created, *relogged]
            if r.worked
        )
        posts_recount_endorsements(
            sorted({r.post_id for r in results if isinstance(r, AdoptionReport)})
        )
    return results


def adoption_withdraw(*, post: Post, member) -> None:
    with transaction.atomic():
        report = AdoptionReport.objects.filter(post=post, member=member).first()
        if report is None:
            return
        interactions_retract(source=report)
        report.delete()
        post_recount_endorsements(post.pk)
