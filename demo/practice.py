"""A year of practice activity in the demo communities, written through the real services.

Each community gets threads (questions with and without accepted answers, discussions,
stories), answers and replies with quotes and @mentions, helpful votes, "worked for me"
reports, edits, follows, a few flags and, when the events services exist, events with RSVPs
and attendance. A small core group (about one member in eight) writes most answers, while
many members ask one question and no more.

Everything is planned first from a generator seeded per community, then applied in time
order through the services, each call given its item's moment (``at=``):
the services stay the only writers (content, counters, notifications and the interaction
log alike), and ``rebuild_interactions`` reproduces the same log. Votes and "worked for me"
reports are collected on the way and written per community at the end through the services'
bulk variants (``votes_record``, ``adoption_reports_record``: the same rows, ids and side
effects as one call each, for a fraction of the queries). A community that already
has threads by demo people is left alone, so a second run adds nothing.

A community's history is written in chunks of about ``timeline.CHUNK_SECONDS`` of work, each
its own transaction, so that a visitor's write (signing in, voting) waits for one chunk, not the
whole history (31-94 s for the largest community when it was one transaction). Each chunk
commits with the community's resume marker (``demo.models.SeedResume``): how many steps are
done and which rows they made. A seed stopped at any point and run again plans the same steps
from the same moment, takes the rows back from the marker, and goes on after the last chunk
that committed; the marker is deleted with the last chunk. Every step is one service call, so
a thread is consistent between chunks (its counters match its posts) even when later answers
are still to come; votes and reports come in the last chunks, after every post.
"""

from __future__ import annotations

import bisect
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from communities.models import Community, Membership
from demo import communities as community_demo
from demo.data import phrases as text
from demo.models import SeedResume
from demo.progress import Progress
from demo.timeline import (
    BuildSummary,
    Step,
    apply_steps,
    apply_steps_in_chunks,
    resume_marker,
    writers_let_in,
)
from notifications.models import Notification
from notifications.services import immediate_emails_held
from practice.models import Event, Flag, Post, Thread, ThreadTag
from practice.services import endorsements, follows, moderation
from practice.services import threads as thread_services

try:  # Events came later than the rest of the practice services.
    from practice.services import events as event_services
except ImportError:  # pragma: no cover - only while events are missing
    event_services = None

SEED = 20240918
DEMO_EMAIL_DOMAIN = "demo.practica.test"  # the same marker demo.communities uses
# Posts a week (opening posts, answers and replies) in the largest community; smaller ones
# get fewer, in proportion to size ** SIZE_EXPONENT.
LARGEST_POSTS_PER_WEEK = 30
SIZE_EXPONENT = 1.0
MEAN_POSTS_PER_THREAD = 3.6  # the opening post and about 2.6 answers or replies
CORE_SHARE = 0.12  # members who answer most questions
CORE_ANSWER_SHARE = 0.75  # answers written by the core group
ONE_TIME_ASKER_SHARE = 0.45  # questions asked by members who ask nothing else
NOTIFICATIONS_READ_AFTER = timedelta(days=10)  # older demo notifications show as read
# Votes or reports written per transaction (a bulk insert: about 0.1 s of work each).
ENDORSEMENTS_PER_CHUNK = 1500
# Steps that only collect votes and reports for ``endorsements_write``: run again on resume.
COLLECTING_KINDS = frozenset({"vote", "vote_withdrawn", "worked", "did_not_work", "report_changed"})

Log = Callable[[str], None]


@dataclass
class _Member:
    user: object
    joined_at: datetime
    is_moderator: bool
    weight: float = 1.0  # how often they start threads (heavy-tailed)
    core_weight: float = 0.0  # how often they answer (core group only)


def _is_demo_user(user) -> bool:
    return user.email.lower().endswith(f"@{DEMO_EMAIL_DOMAIN}")


def community_has_activity(community: Community) -> bool:
    """Has the demo already written threads in *community*?"""
    return Thread.objects.filter(
        community=community, author__email__iendswith=f"@{DEMO_EMAIL_DOMAIN}"
    ).exists()


def posts_per_week(size: int, largest: int) -> float:
    return max(3.0, LARGEST_POSTS_PER_WEEK * (size / max(largest, 1)) ** SIZE_EXPONENT)


def _fill(template: str, name: str, value: str) -> tuple[str, str]:
    return template.format(**{name: value}), value


class _Planner:
    """Plan one community's activity as time-stamped service calls."""

    def __init__(self, *, community, domain, members, now, start, rate, rng):
        self.community = community
        self.domain = domain
        self.now = now
        self.start = start
        self.end = now - timedelta(minutes=30)
        self.rate = rate
        self.rng = rng
        self.items: list[Step] = []
        self.threads: dict[int, Thread] = {}
        self.posts: dict[int, Post] = {}
        self.flags: dict[int, Flag] = {}
        self.events: dict[int, object] = {}
        # Votes (and votes taken back) and "worked for me" reports in time order, written
        # together after the other steps (``endorsements_write``): nothing else in the plan
        # reads what they write or changes what they depend on (no post is hidden).
        self.votes: list[tuple[Post, object, datetime, str]] = []
        self.reports: list[tuple[Post, object, bool, str, datetime, str]] = []  # "worked for me"
        self.ids = iter(range(1, 10**9))
        self.used_titles: set[str] = set()
        self.asked: set[int] = set()
        self.tag_first_use: dict[str, datetime] = {}
        members.sort(key=lambda m: m.joined_at)
        self.members = members
        self.joined = [m.joined_at for m in members]
        self.moderators = [m for m in members if m.is_moderator] or members[:1]
        self._assign_weights()

    def endorsements_write(
        self, summary: BuildSummary, *, votes: slice = slice(None), reports: slice = slice(None)
    ) -> None:
        """Write the votes and "worked for me" reports the steps collected (the slices given
        of each), each kind at once (``votes_record``, ``adoption_reports_record``), in their
        order: consecutive slices write what one call for all of them writes."""
        chosen_votes, chosen_reports = self.votes[votes], self.reports[reports]
        written = endorsements.votes_record(
            votes=[(p, u, at) for p, u, at, _kind in chosen_votes]
        ) + endorsements.adoption_reports_record(
            reports=[(p, u, worked, note, at) for p, u, worked, note, at, _kind in chosen_reports]
        )
        planned = [(at, kind) for *_rest, at, kind in chosen_votes] + [
            (at, kind) for *_rest, at, kind in chosen_reports
        ]
        for (at, kind), result in zip(planned, written, strict=True):
            if isinstance(result, PermissionDenied | ValidationError):
                summary.counts[kind] -= 1
                summary.failures.append(
                    f"{self.community.slug} {kind} at {at:%Y-%m-%d}: {result!r}"
                )

    # --- resuming -------------------------------------------------------------------------

    def made(self) -> dict:
        """The rows the steps run so far made, by their keys in the plan (for the marker)."""
        return {
            name: {str(key): row.pk for key, row in getattr(self, name).items()}
            for name in ("threads", "posts", "flags", "events")
        }

    def restore(self, made: dict) -> None:
        """Take back the rows an interrupted run's steps made (``made()``'s answer)."""
        models = {"threads": Thread, "posts": Post, "flags": Flag, "events": Event}
        for name, model in models.items():
            keys = {int(key): pk for key, pk in made.get(name, {}).items()}
            rows = model.objects.in_bulk(keys.values())
            getattr(self, name).update({key: rows[pk] for key, pk in keys.items()})
        # As the steps left them: a post made in a thread holds that thread's object.
        threads = {thread.pk: thread for thread in self.threads.values()}
        posts = {post.pk: post for post in self.posts.values()}
        for post in self.posts.values():
            if post.thread_id in threads:
                post.thread = threads[post.thread_id]
        for thread in self.threads.values():
            if thread.opening_post_id in posts:
                thread.opening_post = posts[thread.opening_post_id]

    # --- people ---------------------------------------------------------------------------

    def _assign_weights(self) -> None:
        rng = self.rng
        n = len(self.members)
        core_size = max(2, round(n * CORE_SHARE))
        # Moderators and the demo member (where they teach physics) are in the core group.
        ranked = sorted(
            self.members,
            key=lambda m: (
                not m.is_moderator,
                m.user.username != "demo",
                rng.random(),
            ),
        )
        for rank, member in enumerate(ranked[:core_size]):
            member.core_weight = 1.0 / (rank + 1) ** 0.6
        # Heavy tail: a few people start many threads, most start one or none.
        order = list(range(n))
        rng.shuffle(order)
        for rank, index in enumerate(order):
            self.members[index].weight = 1.0 / (rank + 1) ** 1.1
        for member in ranked[:core_size]:
            member.weight *= 3
        self.cum_weight = list(accumulate(m.weight for m in self.members))
        self.core = ranked[:core_size]

    def eligible(self, at: datetime) -> int:
        """How many members (the oldest first) may post at *at*."""
        return bisect.bisect_right(self.joined, at - timedelta(hours=2))

    def pick(self, at, *, exclude=(), core=False) -> _Member | None:
        rng = self.rng
        k = self.eligible(at)
        if core:
            pool = [m for m in self.core if m.joined_at < at - timedelta(hours=2)]
            pool = [m for m in pool if m.user.pk not in exclude]
            if pool:
                return rng.choices(pool, weights=[m.core_weight for m in pool])[0]
        for _ in range(8):
            if k == 0:
                return None
            member = rng.choices(self.members[:k], cum_weights=self.cum_weight[:k])[0]
            if member.user.pk not in exclude:
                return member
        pool = [m for m in self.members[:k] if m.user.pk not in exclude]
        return rng.choice(pool) if pool else None

    def pick_one_time_asker(self, at) -> _Member | None:
        k = self.eligible(at)
        pool = [m for m in self.members[:k] if m.user.pk not in self.asked and not m.core_weight]
        return self.rng.choice(pool) if pool else None

    def mention(self, member: _Member) -> str:
        return f"@{member.user.username}"

    def name(self, member: _Member, *, mention_chance: float) -> str:
        if self.rng.random() < mention_chance:
            return self.mention(member)
        return member.user.first_name or member.user.username

    # --- scheduling -----------------------------------------------------------------------

    def add(self, at: datetime, kind: str, run: Callable[[datetime], None]) -> bool:
        if at >= self.end:
            return False
        self.items.append(Step(at, len(self.items), kind, run))
        return True

    def later(self, at: datetime, mean_hours: float, minimum_minutes: float = 3) -> datetime:
        hours = self.rng.expovariate(1 / mean_hours)
        return at + timedelta(minutes=minimum_minutes, hours=min(hours, mean_hours * 6))

    # --- text -----------------------------------------------------------------------------

    def topic(self):
        if self.domain is text.REFLECTION and self.rng.random() < 0.5:
            return self.rng.choice(self.rng.choice(text.BORROWED_BY_REFLECTION).topics)
        return self.rng.choice(self.domain.topics)

    def unique_title(self, make: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        """A title (and the fill it used) not yet used here; a recurring topic says so."""
        for _ in range(10):
            title, fill = make()
            title = title[0].upper() + title[1:]
            if title not in self.used_titles:
                break
        else:
            for variant in text.RECURRING_TITLES:
                if variant.format(title=title) not in self.used_titles:
                    title = variant.format(title=title)
                    break
        self.used_titles.add(title)
        return title, fill

    def bullets(self, items, k) -> str:
        return "\n".join(f"- {item}" for item in self.rng.sample(items, k=min(k, len(items))))

    def question_body(self, topic, fill, cc: _Member | None) -> str:
        rng = self.rng
        parts = [rng.choice(topic.context).format(x=fill)]
        if rng.random() < 0.75:
            parts.append(
                "What I've tried so far:\n\n" + self.bullets(topic.tried, rng.randint(1, 3))
            )
        parts.append(rng.choice(text.QUESTION_CLOSERS))
        if cc is not None:
            parts.append(rng.choice(text.CC_LINES).format(who=self.mention(cc)))
        return "\n\n".join(parts)

    def answer_body(self, topic) -> str:
        rng = self.rng
        opener = rng.choice(text.ANSWER_OPENERS).format(years=rng.randint(4, 22))
        points = rng.sample(topic.advice, k=min(rng.randint(2, 4), len(topic.advice)))
        if rng.random() < 0.6:
            middle = "\n".join(f"{i}. {p}." for i, p in enumerate(points, 1))
        else:
            middle = " ".join(f"{p}." for p in points)
        parts = [opener, middle]
        if self.domain.code and rng.random() < 0.3:
            language, snippet = rng.choice(self.domain.code)
            parts.append(f"For example:\n\n```{language}\n{snippet}\n```")
        closer = rng.choice(text.ANSWER_CLOSERS)
        if closer:
            parts.append(closer)
        return "\n\n".join(parts)

    def story_body(self, topic, fill) -> str:
        rng = self.rng
        return "\n\n".join(
            [
                rng.choice(text.STORY_OPENERS),
                "**The situation.** " + rng.choice(topic.context).format(x=fill),
                "**What we tried.**\n\n" + self.bullets(topic.advice, rng.randint(2, 3)),
                "**What happened.** " + rng.choice(self.domain.results),
                "**What I'd pass on:** " + rng.choice(self.domain.lessons),
            ]
        )

    def discussion_body(self, topic, fill) -> str:
        rng = self.rng
        return "\n\n".join(
            [
                rng.choice(text.DISCUSSION_OPENERS),
                rng.choice(topic.context).format(x=fill),
                rng.choice(text.DISCUSSION_CLOSERS),
            ]
        )

    # --- the plan -------------------------------------------------------------------------

    def plan(self) -> list[Step]:
        rng = self.rng
        weeks = (self.end - self.start).total_seconds() / (7 * 86400)
        n_threads = max(1, round(self.rate * weeks / MEAN_POSTS_PER_THREAD))
        span = (self.end - self.start).total_seconds()
        for _ in range(n_threads):
            # Communities grow: skew thread times towards the present.
            at = self.start + timedelta(seconds=span * rng.random() ** 0.8)
            self.plan_thread(at)
        self.plan_follows()
        if event_services is not None:
            self.plan_events()
        self.items.sort()
        return self.items

    def plan_thread(self, at: datetime) -> None:
        rng = self.rng
        reflective = self.domain is text.REFLECTION
        kind = rng.choices(
            ["question", "discussion", "story"],
            weights=[35, 30, 35] if reflective else [58, 24, 18],
        )[0]
        author = None
        if kind == "question" and rng.random() < ONE_TIME_ASKER_SHARE:
            author = self.pick_one_time_asker(at)
        if author is None:
            author = self.pick(at)
        if author is None:
            return
        if kind == "question":
            self.asked.add(author.user.pk)
        topic = self.topic()
        if kind == "question":
            title, fill = self.unique_title(
                lambda: _fill(rng.choice(topic.titles), "x", rng.choice(topic.fills))
            )
            cc = self.pick(at, exclude={author.user.pk}, core=True) if rng.random() < 0.08 else None
            body = self.question_body(topic, fill, cc)
        elif kind == "story":
            title, _ = self.unique_title(
                lambda: _fill(rng.choice(text.STORY_TITLES), "label", topic.label)
            )
            body = self.story_body(topic, rng.choice(topic.fills))
        else:
            title, _ = self.unique_title(
                lambda: _fill(rng.choice(self.domain.discussions), "label", topic.label)
            )
            body = self.discussion_body(topic, rng.choice(topic.fills))
        tags = list(topic.tags[: rng.randint(1, len(topic.tags))])
        for tag in tags:
            self.tag_first_use.setdefault(tag, at)
            self.tag_first_use[tag] = min(self.tag_first_use[tag], at)
        key = next(self.ids)

        def create(at, key=key, author=author, kind=kind, title=title, body=body, tags=tags):
            thread = thread_services.thread_create(
                community=self.community,
                author=author.user,
                kind=kind,
                title=title,
                body=body,
                tags=tags,
                at=at,
            )
            self.threads[key] = thread
            self.posts[key] = thread.opening_post

        if not self.add(at, "thread", create):
            return
        self.plan_edit(key, author, body, at)
        if kind == "question":
            self.plan_answers(key, author, topic, at)
        else:
            self.plan_replies(key, author, at)
            if kind == "story":
                self.plan_endorsements(key, author, at, story=True)

    def plan_post(self, *, thread_key, author, at, body, reply_to=None) -> int | None:
        key = next(self.ids)

        def create(at, key=key, thread_key=thread_key, author=author, body=body, reply_to=reply_to):
            self.posts[key] = thread_services.post_create(
                thread=self.threads[thread_key],
                author=author.user,
                body=body,
                reply_to=self.posts[reply_to] if reply_to is not None else None,
                at=at,
            )

        if not self.add(at, "post", create):
            return None
        self.plan_edit(key, author, body, at)
        self.plan_flag(key, thread_key, author, at)
        return key

    def plan_answers(self, thread_key, asker, topic, at) -> None:
        rng = self.rng
        recent = self.end - at < timedelta(days=10)
        n = rng.choices(
            [0, 1, 2, 3, 4, 5, 7], weights=[30 if recent else 10, 24, 24, 18, 10, 7, 4]
        )[0]
        answers: list[tuple[int, _Member, datetime]] = []
        seen = {asker.user.pk}
        t = at
        for _ in range(n):
            t = self.later(t, 14)
            use_core = rng.random() < CORE_ANSWER_SHARE
            member = self.pick(t, exclude=seen, core=use_core)
            if member is None:
                continue
            seen.add(member.user.pk)
            key = self.plan_post(
                thread_key=thread_key, author=member, at=t, body=self.answer_body(topic)
            )
            if key is None:
                break
            answers.append((key, member, t))
        if not answers:
            return
        last = answers[-1][2]
        if rng.random() < 0.4:
            quoted_key, quoted, quoted_at = rng.choice(answers)
            who = self.name(quoted, mention_chance=0.5)
            last = max(last, self.later(quoted_at, 6))
            self.plan_post(
                thread_key=thread_key,
                author=asker,
                at=last,
                body=rng.choice(text.FOLLOW_UPS).format(who=who),
                reply_to=quoted_key,
            )
        accepted = None
        if rng.random() < 0.68:
            # The asker tends to accept a core member's answer.
            core_answers = [a for a in answers if a[1].core_weight]
            accepted = (core_answers or answers)[0]
            if len(answers) >= 2 and rng.random() < 0.06:  # changed their mind later
                first = next(a for a in answers if a is not accepted)
                at_first = self.later(max(first[2], accepted[2]), 20)
                self._plan_accept(thread_key, first[0], asker, at_first)
                self._plan_accept(thread_key, accepted[0], asker, self.later(at_first, 48))
            else:
                self._plan_accept(
                    thread_key, accepted[0], asker, self.later(max(last, accepted[2]), 20)
                )
        for key, member, posted in answers:
            self.plan_endorsements(
                key, member, posted, accepted=accepted is not None and key == accepted[0]
            )

    def _plan_accept(self, thread_key, post_key, asker, at) -> None:
        def accept(at, post_key=post_key, asker=asker):
            endorsements.answer_accept(answer=self.posts[post_key], by=asker.user, at=at)

        self.add(at, "accept", accept)

    def plan_replies(self, thread_key, opener, at) -> None:
        rng = self.rng
        n = rng.choices([0, 1, 2, 3, 4, 6, 9], weights=[8, 18, 22, 20, 14, 10, 8])[0]
        replies: list[tuple[int, _Member, datetime]] = []
        t = at
        for _ in range(n):
            t = self.later(t, 10)
            if rng.random() < 0.15:
                member = opener
            else:
                member = self.pick(t, exclude={opener.user.pk}, core=rng.random() < 0.45)
            if member is None:
                continue
            reply_to = None
            quotable = [r for r in replies if r[1].user.pk != member.user.pk]
            if quotable and rng.random() < 0.4:
                reply_to, quoted, _ = rng.choice(quotable)
                body = rng.choice(text.QUOTE_REPLIES).format(
                    who=self.name(quoted, mention_chance=0.6)
                )
            else:
                body = rng.choice(self.domain.replies)
                if rng.random() < 0.3:
                    body += " " + rng.choice(self.topic().advice) + "."
            key = self.plan_post(
                thread_key=thread_key, author=member, at=t, body=body, reply_to=reply_to
            )
            if key is None:
                break
            replies.append((key, member, t))
        for key, member, posted in replies:
            if rng.random() < 0.5:
                self.plan_endorsements(key, member, posted)

    def plan_endorsements(self, post_key, author, posted, *, accepted=False, story=False) -> None:
        """Helpful votes and "worked for me" reports on one post."""
        rng = self.rng
        n_votes = rng.choices([0, 1, 2, 3, 5, 8], weights=[50, 28, 12, 6, 3, 1])[0]
        if accepted:
            n_votes += rng.randint(1, 3)
        voters = {author.user.pk}
        for _ in range(n_votes):
            t = self.later(posted, 36)
            member = self.pick(t, exclude=voters)
            if member is None:
                continue
            voters.add(member.user.pk)

            def vote(at, post_key=post_key, member=member, kind="vote"):
                self.votes.append((self.posts[post_key], member.user, at, kind))

            def withdraw(at, vote=vote):
                vote(at, kind="vote_withdrawn")

            if self.add(t, "vote", vote) and rng.random() < 0.02:  # taken back later
                self.add(self.later(t, 24), "vote_withdrawn", withdraw)
        chance = 0.45 if accepted else (0.2 if story else 0.06)
        if rng.random() >= chance:
            return
        reporters = {author.user.pk}
        for _ in range(rng.randint(1, 3)):
            t = self.later(posted, 24 * 10)
            member = self.pick(t, exclude=reporters)
            if member is None:
                continue
            reporters.add(member.user.pk)
            worked = rng.random() < 0.8
            note = "" if worked else rng.choice(text.NOT_WORKED_NOTES)

            def report(at, post_key=post_key, member=member, worked=worked, note=note, kind=None):
                kind = kind or ("worked" if worked else "did_not_work")
                self.reports.append((self.posts[post_key], member.user, worked, note, at, kind))

            if self.add(t, "worked" if worked else "did_not_work", report) and rng.random() < 0.06:
                flipped_note = "" if not worked else rng.choice(text.NOT_WORKED_NOTES)

                def flip(at, report=report, worked=not worked, note=flipped_note):
                    report(at, worked=worked, note=note, kind="report_changed")

                self.add(self.later(t, 24 * 14), "report_changed", flip)

    def plan_edit(self, post_key, author, body, posted) -> None:
        rng = self.rng
        if rng.random() >= 0.03:
            return
        new_body = body + "\n\n" + rng.choice(text.EDIT_NOTES)
        if rng.random() < 0.3:
            cc = self.pick(posted, exclude={author.user.pk}, core=True)
            if cc is not None:
                new_body += "\n\n" + rng.choice(text.CC_LINES).format(who=self.mention(cc))

        def edit(at, post_key=post_key, author=author, body=new_body):
            thread_services.post_edit(post=self.posts[post_key], by=author.user, body=body, at=at)

        self.add(posted + timedelta(minutes=rng.randint(5, 300)), "edit", edit)

    def plan_flag(self, post_key, thread_key, author, posted) -> None:
        rng = self.rng
        if rng.random() >= 0.012:
            return
        at = self.later(posted, 12)
        reporter = self.pick(at, exclude={author.user.pk})
        if reporter is None:
            return
        reason = rng.choices(
            [Flag.Reason.OFF_TOPIC, Flag.Reason.SPAM, Flag.Reason.RUDE, Flag.Reason.UNSAFE],
            weights=[5, 2, 2, 2],
        )[0]
        note = rng.choice(text.FLAG_NOTES)

        def flag(
            at,
            post_key=post_key,
            thread_key=thread_key,
            reporter=reporter,
            reason=reason,
            note=note,
        ):
            self.flags[post_key] = moderation.flag_create(
                reporter=reporter.user,
                thread=self.threads[thread_key],
                post=self.posts[post_key],
                reason=reason,
                note=note,
                at=at,
            )

        if not self.add(at, "flag", flag):
            return
        moderator = rng.choice(self.moderators)
        decided = self.later(at, 20)
        if self.end - decided < timedelta(days=20) and rng.random() < 0.6:
            return  # recent flags wait in the moderation queue

        def dismiss(at, post_key=post_key, moderator=moderator):
            moderation.flags_resolve(
                flags=[self.flags[post_key]],
                by=moderator.user,
                resolution=Flag.Resolution.DISMISSED,
                reason="Read it twice: a fair point made bluntly, not a breach of the rules.",
                at=at,
            )

        self.add(decided, "flag_dismissed", dismiss)

    def plan_follows(self) -> None:
        rng = self.rng
        for member in self.members:
            if rng.random() < 0.06:
                at = member.joined_at + timedelta(days=rng.uniform(0.1, 20))

                def follow(at, member=member):
                    follows.community_follow(user=member.user, community=self.community, at=at)

                self.add(max(at, self.start), "community_follow", follow)
            if self.tag_first_use and rng.random() < 0.08:
                tag = rng.choice(sorted(self.tag_first_use))
                at = max(member.joined_at, self.tag_first_use[tag]) + timedelta(
                    days=rng.uniform(0.1, 30)
                )

                def follow_tag(at, member=member, tag=tag):
                    follows.tag_follow(
                        user=member.user,
                        community=self.community,
                        tag=ThreadTag.objects.get(name=tag),
                        at=at,
                    )

                self.add(at, "tag_follow", follow_tag)

    def plan_events(self) -> None:
        """About one event every five weeks, plus two coming up, with RSVPs and attendance."""
        rng = self.rng
        starts = []
        t = self.start + timedelta(days=28)
        while t < self.end:
            starts.append(t)
            t += timedelta(days=rng.uniform(28, 45))
        starts += [self.now + timedelta(days=6), self.now + timedelta(days=20)]
        for starts_at in starts:
            starts_at = starts_at.replace(hour=18, minute=30, second=0, microsecond=0)
            created = max(self.start + timedelta(days=1), starts_at - timedelta(days=21))
            if created >= self.end:
                continue
            self.plan_event(starts_at, created)

    def plan_event(self, starts_at, created) -> None:
        rng = self.rng
        kind, title_template = rng.choice(text.EVENT_TITLES)
        label = self.topic().label
        online = kind == "webinar" or rng.random() < 0.4
        capacity = rng.choice([12, 15, 20]) if kind == "meetup" else None
        fields = {
            "kind": kind,
            "title": title_template.format(label=label),
            "description": rng.choice(text.EVENT_DESCRIPTIONS).format(label=label),
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=rng.choice([60, 90, 120])),
            "timezone": "Europe/London",
            "place": "" if online else rng.choice(text.EVENT_PLACES),
            "online_url": f"https://meet.example.org/{self.community.slug}-{starts_at:%Y%m%d}"
            if online
            else "",
            "capacity": capacity,
        }
        key = next(self.ids)
        moderator = rng.choice(self.moderators)

        def create(at, key=key, moderator=moderator, fields=fields):
            self.events[key] = event_services.event_create(
                community=self.community, by=moderator.user, at=at, **fields
            )

        if not self.add(created, "event", create):
            return
        window = (starts_at - created).total_seconds()
        answered: dict[int, tuple[_Member, str]] = {}
        for _ in range(rng.randint(4, max(5, min(18, len(self.members) // 4)))):
            at = created + timedelta(seconds=window * rng.uniform(0.02, 0.95))
            member = self.pick(at, exclude=answered)
            if member is None:
                continue
            answer = rng.choices(["going", "maybe", "not_going"], weights=[60, 25, 15])[0]
            answered[member.user.pk] = (member, answer)

            def rsvp(at, key=key, member=member, answer=answer):
                event_services.rsvp_set(
                    event=self.events[key], user=member.user, answer=answer, at=at
                )

            self.add(at, "rsvp", rsvp)
        recorded = fields["ends_at"] + timedelta(hours=rng.uniform(12, 48))
        if recorded >= self.end:
            return
        attendees = [
            uid
            for uid, (_member, answer) in sorted(answered.items())
            if (answer == "going" and rng.random() < 0.8)
            or (answer == "maybe" and rng.random() < 0.3)
        ]

        def attendance(at, key=key, moderator=moderator, attendees=attendees):
            # Only who actually holds a place (not the waiting list) can have attended.
            event = self.events[key]
            holding = set(event.rsvps.exclude(answer="waitlist").values_list("user_id", flat=True))
            event_services.attendance_record(
                event=event,
                by=moderator.user,
                attendee_ids=[u for u in attendees if u in holding],
                at=at,
            )

        self.add(recorded, "attendance", attendance)


def _members(community: Community) -> list[_Member]:
    rows = (
        Membership.objects.filter(
            community=community, state=Membership.State.ACTIVE, joined_at__isnull=False
        )
        .select_related("user__profile")  # display names in notices, without a query each
        .order_by("joined_at", "pk")
    )
    return [
        _Member(
            user=m.user, joined_at=m.joined_at, is_moderator=m.role == Membership.Role.MODERATOR
        )
        for m in rows
        if _is_demo_user(m.user)
    ]


def activity_marker_name(community: Community) -> str:
    return f"activity:{community.slug}"


def _history_write(planner: _Planner, items: list[Step], marker: SeedResume, summary) -> None:
    """Run *items* from ``marker.steps_done`` on, then write the collected votes and reports,
    in chunks, each committed with *marker*; the last chunk deletes it."""
    slug = planner.community.slug
    apply_steps_in_chunks(items, summary, slug, marker=marker, made=planner.made)
    made = marker.made
    # Then the votes and the reports, in slices: each slice writes what the whole would.
    for kind, collected in (("votes", planner.votes), ("reports", planner.reports)):
        written = made.get(f"{kind}_written", 0)
        while written < len(collected):
            end = written + ENDORSEMENTS_PER_CHUNK
            with transaction.atomic():
                chosen = {kind: slice(written, end)}
                other = "reports" if kind == "votes" else "votes"
                planner.endorsements_write(summary, **chosen, **{other: slice(0, 0)})
                written = min(end, len(collected))
                marker.made = made = {**made, f"{kind}_written": written}
                marker.save()
            writers_let_in()
    with transaction.atomic():
        # Old notifications show as read, so the demo's unread counts look like real use.
        Notification.objects.filter(
            community=planner.community,
            read_at__isnull=True,
            created_at__lt=planner.now - NOTIFICATIONS_READ_AFTER,
        ).update(read_at=F("created_at") + timedelta(hours=5))
        if marker.pk is not None:
            marker.delete()


def activity_build(
    *,
    communities: list[Community] | None = None,
    weeks: int = 52,
    log: Log = lambda line: None,
    now: datetime | None = None,
    progress: Progress = lambda number, count, name: None,
) -> BuildSummary:
    """Write *weeks* of activity in each demo community that has none yet.

    *communities* defaults to the demo's; *weeks* under 52 makes a small demo for tests; *now*
    is the moment the activity ends just before (default: now); *progress* is told each
    community's number before its turn.
    """
    started = time.monotonic()
    summary = BuildSummary()
    if communities is None:
        communities = list(Community.objects.filter(slug__in=community_demo.DEMO_SLUGS))
    now = now or timezone.now()
    sizes = {
        c.pk: Membership.objects.filter(community=c, state=Membership.State.ACTIVE).count()
        for c in communities
    }
    largest = max(sizes.values(), default=1)
    ordered = sorted(communities, key=lambda c: -sizes[c.pk])
    for number, community in enumerate(ordered, start=1):
        progress(number, len(ordered), community.name)
        marker = resume_marker(activity_marker_name(community), now=now)
        resumed = marker.pk is not None
        if not resumed and community_has_activity(community):
            summary.skipped_communities += 1
            log(f"  {community.name}: activity already there, left alone.")
            continue
        members = _members(community)
        if len(members) < 3:
            continue
        community_started = time.monotonic()
        # A resumed community is planned from the moment its first run planned it from.
        planned_from = marker.now
        start = max(community.created_at + timedelta(days=2), planned_from - timedelta(weeks=weeks))
        rng = random.Random(f"{SEED}-{community.slug}")
        domain = text.DOMAINS.get(community.slug, text.REFLECTION)
        planner = _Planner(
            community=community,
            domain=domain,
            members=members,
            now=planned_from,
            start=start,
            rate=posts_per_week(sizes[community.pk], largest),
            rng=rng,
        )
        items = planner.plan()
        before = Counter(summary.counts)
        if resumed:
            log(f"  {community.name}: going on after step {marker.steps_done} of {len(items)}.")
            planner.restore(marker.made)
            # The votes and reports the done steps collected, collected again (no writes;
            # the first run counted them).
            done_steps = items[: marker.steps_done]
            collecting = [step for step in done_steps if step.kind in COLLECTING_KINDS]
            apply_steps(collecting, BuildSummary(), community.slug)
        # The demo's history happened in the past: it shows in the app, nobody is emailed.
        with immediate_emails_held():
            _history_write(planner, items, marker, summary)
        summary.communities += 1
        done = summary.counts - before
        log(
            f"  {community.name}: {done['thread']} threads, {done['post']} answers and replies, "
            f"{done['vote']} votes, {done['accept']} accepts, {done['event']} events "
            f"({time.monotonic() - community_started:.1f} s)"
        )
    summary.seconds = time.monotonic() - started
    if event_services is None:
        log("  (events skipped: practice.services.events is not available)")
    for failure in summary.failures[:20]:
        log(f"  skipped: {failure}")
    return summary
