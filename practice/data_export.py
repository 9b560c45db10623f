"""The member's data export (accounts.data_export): what they wrote and did in the practice."""

from accounts.data_export import rows
from practice.models import (
    RSVP,
    AdoptionReport,
    Draft,
    Flag,
    Follow,
    Post,
    PostRevision,
    Thread,
    Vote,
)


def member_section(user) -> dict:
    return {
        # Their questions and discussions (titles and states; the opening text is their first
        # post below), every post they wrote, and the versions of posts they edited.
        "threads": rows(Thread.objects.filter(author=user).order_by("created_at", "pk")),
        "posts": rows(Post.objects.filter(author=user).order_by("created_at", "pk")),
        "post_revisions": rows(
            PostRevision.objects.filter(editor=user).order_by("created_at", "pk")
        ),
        "votes": rows(Vote.objects.filter(voter=user).order_by("created_at", "pk")),
        "worked_for_me_reports": rows(
            AdoptionReport.objects.filter(member=user).order_by("created_at", "pk")
        ),
        "follows": rows(Follow.objects.filter(user=user).order_by("created_at", "pk")),
        "event_replies": rows(RSVP.objects.filter(user=user).order_by("created_at", "pk")),
        "flags_raised": rows(Flag.objects.filter(reporter=user).order_by("created_at", "pk")),
        "drafts": rows(Draft.objects.filter(user=user).order_by("updated_at", "pk")),
    }
