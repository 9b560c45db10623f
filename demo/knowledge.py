"""A repertoire for each demo community, written through the real services.

Each community gets a few dozen items of every kind, drawn from its own topics: some promoted
from solved questions (with provenance and credit to the askers and answerers), most proposed
by members and published by moderators; some featured, some archived (one superseded by a
newer item), a few proposals, sent-back proposals and change proposals still waiting; and
"I used this" reports on the published items, a few of them "did not work" so the
content-health queue has something to show. A few topics get no item, so the queue's "tags
without an item" and the experts page's gaps are not empty either.

Like ``demo.practice``, everything is planned first from a generator seeded per community, then
applied in time order through the services, each call given its step's moment (``at=``), so
revisions, curation history, credits, the interaction log (co-edits, worked)
and the search index are what the services write. A community that already has items is left
alone, so a second run adds nothing.

As with the history, the steps are committed in chunks (``timeline.apply_steps_in_chunks``),
each with the community's resume marker: a seed stopped in the middle of a library goes on
after the last chunk that committed, from the same moment and with the items already made.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone

from communities.models import Community
from demo import communities as community_demo
from demo import practice as practice_demo
from demo.data import phrases as text
from demo.progress import Progress
from demo.timeline import BuildSummary, Step, apply_steps_in_chunks, resume_marker
from knowledge.models import Evidence, Item
from knowledge.services import curation, evidence, promotion
from knowledge.services import items as item_services
from practice.models import Event, Thread

SEED = 20241105
AUTHORED_PER_KIND = 4  # items members write, per kind (seven kinds)
PROMOTED = 6  # solved questions promoted per community (when it has that many)
TOPICS_LEFT_OUT = 1  # the last topics of a domain get no item: gaps for the health queue
Log = Callable[[str], None]
Kind = Item.Kind
Outcome = Evidence.Outcome

# --- how each kind is written ------------------------------------------------------------------
TITLES = {
    Kind.STORY: (
        "How we got on top of {label}",
        "A year of {label}: what changed on our team",
        "The {label} case we still talk about",
    ),
    Kind.TOOL: (
        "Checklist for {label}",
        "A one-page decision aid for {label}",
        "Quick reference: {label}",
    ),
    Kind.CONCEPT: (
        "What we mean by “good enough” in {label}",
        "{Label}: the ideas behind the practice",
        "Thresholds and judgement in {label}",
    ),
    Kind.CASE: (
        "Case: {label} — {x}",
        "Case: {Label}, start to finish",
        "Case: when {label} stalled",
    ),
    Kind.METHOD: (
        "Step by step: {label}",
        "A safer routine for {label}",
        "How to review {label} in ten minutes",
    ),
    Kind.ARTEFACT: (
        "Template: {label} handover note",
        "Printable guide to {label}",
        "Audit sheet for {label}",
    ),
    Kind.EVENT_RECORD: (
        "Notes from our session on {label}",
        "What came out of the {label} workshop",
        "Record: peer review of {label}",
    ),
}
SUMMARIES = {
    Kind.STORY: "What happened when we changed how we handle {label}, and what we kept.",
    Kind.TOOL: "A short aid for {label}: {advice}.",
    Kind.CONCEPT: "The idea the community keeps coming back to about {label}: {advice}.",
    Kind.CASE: "One case of {label}, what was tried and what finally helped: {advice}.",
    Kind.METHOD: "How members handle {label}, in order: {advice}.",
    Kind.ARTEFACT: "A document to reuse for {label}; the key point: {advice}.",
    Kind.EVENT_RECORD: "What members shared about {label} when they met: {advice}.",
}
WORKED_NOTES = (
    "Used it with two new colleagues; it saved us a lot of back and forth.",
    "Worked well in our setting, with one small change to the order of the steps.",
    "Exactly what I needed on a busy shift.",
    "",
    "",
    "Printed it for the team room; people actually use it.",
)
PARTLY_NOTES = (
    "Helpful for the straightforward cases; the hard ones still needed a specialist.",
    "Worked once we adapted it to our smaller team.",
    "",
)
CHANGE_NOTES = (
    "Added the step we always forget.",
    "The summary undersold it; rewrote it.",
    "Updated the numbers to the current guidance.",
)
REQUEST_CHANGES = (
    "Could you say which setting this is for, and add a source?",
    "Lovely start. Please split the steps into a list so it reads quickly.",
)


def community_has_repertoire(community: Community) -> bool:
    return Item.objects.filter(community=community).exists()


def _cap(text_: str) -> str:
    return text_[:1].upper() + text_[1:]


class _Planner:
    """Plan one community's repertoire as time-stamped service calls."""

    def __init__(self, *, community, domain, members, now, start, rng):
        self.community = community
        self.domain = domain
        self.now = now
        self.start = start
        self.end = now - timedelta(minutes=20)
        self.rng = rng
        self.members = sorted(members, key=lambda m: m.joined_at)
        self.moderators = [m for m in self.members if m.is_moderator] or self.members[:1]
        self.steps: list[Step] = []
        self.items: dict[int, Item] = {}
        self.published_at: dict[int, datetime] = {}  # planned publication, per item key
        self.keys = iter(range(1, 10**9))
        self.used_titles: set[str] = set()
        topics = list(domain.topics)
        self.topics = topics[: max(1, len(topics) - TOPICS_LEFT_OUT)]
        kept = {tag for topic in self.topics for tag in topic.tags}
        # Tags only the left-out topics use: no item may carry them, promoted ones included.
        self.gap_tags = {tag for topic in topics for tag in topic.tags} - kept

    def made(self) -> dict:
        """The items the steps run so far made, by their keys in the plan (for the marker)."""
        return {"items": {str(key): item.pk for key, item in self.items.items()}}

    def restore(self, made: dict) -> None:
        """Take back the items an interrupted run's steps made (``made()``'s answer)."""
        keys = {int(key): pk for key, pk in made.get("items", {}).items()}
        rows = Item.objects.in_bulk(keys.values())
        self.items.update({key: rows[pk] for key, pk in keys.items()})

    # --- scheduling and people ---------------------------------------------------------------

    def add(self, at: datetime, kind: str, run: Callable[[datetime], None]) -> bool:
        if at >= self.end:
            return False
        self.steps.append(Step(at, len(self.steps), kind, run))
        return True

    def members_at(self, at: datetime, exclude=()) -> list:
        return [
            m
            for m in self.members
            if m.joined_at < at - timedelta(hours=2) and m.user.pk not in exclude
        ]

    def pick(self, at: datetime, exclude=()):
        pool = self.members_at(at, exclude)
        return self.rng.choice(pool) if pool else None

    def moderator(self, at: datetime):
        pool = [m for m in self.moderators if m.joined_at < at] or self.moderators
        return self.rng.choice(pool)

    def when(self, after: datetime, days: float) -> datetime:
        return after + timedelta(hours=self.rng.uniform(2, 24 * days))

    # --- content -------------------------------------------------------------------------------

    def content(self, kind: str, topic) -> dict:
        rng = self.rng
        label = topic.label
        for _ in range(8):
            title = rng.choice(TITLES[kind]).format(
                label=label, Label=_cap(label), x=rng.choice(topic.fills)
            )
            if title not in self.used_titles:
                break
        else:
            title = f"{title} ({len(self.used_titles)})"
        self.used_titles.add(title)
        advice = rng.sample(topic.advice, k=min(4, len(topic.advice)))
        tried = rng.sample(topic.tried, k=min(3, len(topic.tried)))
        summary = SUMMARIES[kind].format(label=label, advice=advice[0][0].lower() + advice[0][1:])
        context = rng.choice(topic.context).format(x=rng.choice(topic.fills))
        steps = "\n".join(f"{i}. {line}" for i, line in enumerate(advice, 1))
        tried_list = "\n".join(f"- {line}" for line in tried)
        body = (
            f"## When it helps\n\n{context}\n\n"
            f"## What to do\n\n{steps}\n\n"
            f"## What people tried first\n\n{tried_list}\n\n"
            f"## Watch out\n\n{rng.choice(self.domain.lessons)}\n"
        )
        if kind == Kind.STORY:
            body = (
                f"{rng.choice(text.STORY_OPENERS)}\n\n{body}\n{rng.choice(self.domain.results)}\n"
            )
        links = ()
        if kind in (Kind.ARTEFACT, Kind.TOOL):
            slug = "-".join(label.lower().split())[:60]
            links = ((f"https://example.org/{self.community.slug}/{slug}", f"{_cap(label)} (PDF)"),)
        return {
            "kind": kind,
            "title": title,
            "summary": summary,
            "body": body,
            "tag_names": tuple(topic.tags),
            "links": links,
        }

    # --- plans ---------------------------------------------------------------------------------

    def plan(self, solved: list[Thread], events: list[Event]) -> list[Step]:
        rng = self.rng
        span = (self.end - timedelta(days=4) - self.start).total_seconds()
        kinds = [k for k in Kind.values for _ in range(AUTHORED_PER_KIND)]
        rng.shuffle(kinds)
        # The fates of the authored items: most published, a few left waiting.
        fates = ["proposed"] * 3 + ["sent_back"] * 2 + ["published"] * (len(kinds) - 5)
        rng.shuffle(fates)
        published_keys = []
        for kind, fate in zip(kinds, fates, strict=True):
            # Recent proposals wait; published items spread over the year.
            if fate == "published":
                at = self.start + timedelta(seconds=span * rng.random() ** 0.9)
            else:
                at = self.end - timedelta(days=rng.uniform(2, 20))
            topic = rng.choice(self.topics)
            fields = self.content(kind, topic)
            if kind == Kind.EVENT_RECORD and events:
                event = events.pop(rng.randrange(len(events)))  # one record per event
                at = max(at, event.ends_at + timedelta(days=1))
                fields["title"] = f"Notes from “{event.title}” ({event.starts_at:%B %Y})"
            key = self.plan_item(at, fields, fate)
            if key and fate == "published":
                published_keys.append(key)
        solved = [t for t in solved if not {tag.name for tag in t.tags.all()} & self.gap_tags]
        for index, thread in enumerate(solved[:PROMOTED]):
            # The last two promotions wait in the queue for a moderator.
            key = self.plan_promotion(thread, publish=index < PROMOTED - 2)
            if key:
                published_keys.append(key)
        self.plan_curation(published_keys)
        self.steps.sort()
        return self.steps

    def plan_item(self, at, fields, fate) -> int | None:
        author = self.pick(at)
        if author is None:
            return None
        key = next(self.keys)

        def propose(at, key=key, author=author, fields=fields):
            self.items[key] = item_services.item_propose(
                community=self.community, by=author.user, at=at, **fields
            )

        if not self.add(at, "item", propose):
            return None
        reviewed = self.when(at, 6)
        moderator = self.moderator(reviewed)
        if fate == "sent_back":
            comment = self.rng.choice(REQUEST_CHANGES)

            def send_back(at, key=key, moderator=moderator, comment=comment):
                curation.item_request_changes(
                    item=self.items[key], by=moderator.user, comment=comment, at=at
                )

            self.add(min(reviewed, self.end - timedelta(hours=1)), "sent_back", send_back)
        elif fate == "published":

            def publish(at, key=key, moderator=moderator):
                curation.item_publish(item=self.items[key], by=moderator.user, at=at)

            if not self.add(reviewed, "publish", publish):
                return None
            self.published_at[key] = reviewed
            self.plan_evidence(key, reviewed, exclude={author.user.pk})
        return key

    def plan_promotion(self, thread: Thread, *, publish: bool) -> int | None:
        at = self.when(thread.accepted_at, 20)
        moderator = self.moderator(at)
        key = next(self.keys)

        def promote(at, key=key, thread=thread, moderator=moderator):
            source = promotion.promotion_source(thread=thread)
            draft = promotion.promotion_draft(source=source)
            self.items[key] = promotion.item_promote(
                source=source,
                by=moderator.user,
                kind=draft.kind,
                title=draft.title,
                summary=draft.summary,
                body=draft.body,
                tag_names=draft.tag_names,
                at=at,
            )

        if not self.add(at, "promoted", promote):
            return None
        if not publish:
            return None
        published = self.when(at, 4)

        def publish_it(at, key=key, moderator=moderator):
            curation.item_publish(item=self.items[key], by=moderator.user, at=at)

        if not self.add(published, "publish", publish_it):
            return None
        self.published_at[key] = published
        exclude = {thread.author_id, thread.accepted_post.author_id, moderator.user.pk}
        self.plan_evidence(key, published, exclude=exclude)
        return key

    def plan_evidence(self, key: int, published: datetime, exclude: set[int]) -> None:
        rng = self.rng
        remaining = (self.end - published).total_seconds()
        if remaining < 3600:
            return
        reporters = set(exclude)
        for _ in range(rng.choice([0, 1, 2, 2, 3, 4, 6])):
            at = published + timedelta(seconds=remaining * rng.uniform(0.05, 0.95))
            member = self.pick(at, exclude=reporters)
            if member is None:
                continue
            reporters.add(member.user.pk)
            outcome = rng.choices(
                [Outcome.WORKED, Outcome.PARTLY, Outcome.FAILED], weights=[74, 16, 10]
            )[0]
            notes = {
                Outcome.WORKED: WORKED_NOTES,
                Outcome.PARTLY: PARTLY_NOTES,
                Outcome.FAILED: text.NOT_WORKED_NOTES,
            }[outcome]
            note = rng.choice(notes)

            def report(at, key=key, member=member, outcome=outcome, note=note):
                evidence.evidence_report(
                    item=self.items[key], member=member.user, outcome=outcome, note=note, at=at
                )

            self.add(at, "evidence", report)

    def plan_curation(self, published_keys: list[int]) -> None:
        """Feature a few, archive two (one superseded), edit some, propose changes to some."""
        rng = self.rng
        late = self.end - timedelta(days=1)
        # Only items published well before the end: curation must come after publication.
        keys = [k for k in published_keys if self.published_at[k] < late - timedelta(days=2)]
        rng.shuffle(keys)
        featured, archived, edited, changed = keys[:3], keys[3:5], keys[5:9], keys[9:12]

        def after_publication(key, at):
            return max(at, self.published_at[key] + timedelta(hours=1))

        for key in featured:
            at = after_publication(key, late - timedelta(days=rng.uniform(0, 30)))
            moderator = self.moderator(at)
            self.add(at, "feature", lambda at, key=key, m=moderator: curation.item_feature(
                item=self.items[key], by=m.user, at=at
            ))  # fmt: skip
        for index, key in enumerate(archived):
            moderator = self.moderator(late)
            successor = featured[index] if index == 0 and featured else None

            def archive(at, key=key, m=moderator, successor=successor):
                curation.item_archive(
                    item=self.items[key],
                    by=m.user,
                    comment="Replaced by a newer, fuller item." if successor else "Out of date.",
                    superseded_by=self.items.get(successor) if successor else None,
                    at=at,
                )

            # After the successor is featured, so it exists and is published.
            self.add(late + timedelta(hours=1 + index), "archive", archive)
        for key in edited:
            at = after_publication(key, late - timedelta(days=rng.uniform(1, 40)))
            moderator = self.moderator(at)

            def edit(at, key=key, m=moderator):
                item = self.items[key]
                item.refresh_from_db()
                item_services.item_edit(
                    item=item,
                    by=m.user,
                    kind=item.kind,
                    title=item.title,
                    summary=item.summary,
                    body=item.body + "\n**Edit:** added a note from the last review.\n",
                    tag_names=list(item.tags.names()),
                    comment="Tidied after review",
                    at=at,
                )

            self.add(at, "edit", edit)
        for key in changed:
            at = after_publication(key, late - timedelta(days=rng.uniform(0, 6)))
            member = self.pick(at)
            if member is None or member.is_moderator:
                continue
            note = rng.choice(CHANGE_NOTES)

            def propose_change(at, key=key, member=member, note=note):
                item = self.items[key]
                item.refresh_from_db()
                item_services.change_propose(
                    item=item,
                    by=member.user,
                    kind=item.kind,
                    title=item.title,
                    summary=f"{item.summary} Updated after using it on our team.",
                    body=item.body + "\n- One more step we found useful: write it down.\n",
                    tag_names=list(item.tags.names()),
                    note=note,
                    at=at,
                )

            self.add(at, "change", propose_change)


def repertoire_marker_name(community: Community) -> str:
    return f"repertoire:{community.slug}"


def repertoire_build(
    *,
    communities: list[Community] | None = None,
    log: Log = lambda line: None,
    now: datetime | None = None,
    progress: Progress = lambda number, count, name: None,
) -> BuildSummary:
    """Write a repertoire in each demo community that has none yet (its history ends just
    before *now*, default now; *progress* is told each community's number before its turn)."""
    started = time.monotonic()
    summary = BuildSummary()
    if communities is None:
        communities = list(
            Community.objects.filter(slug__in=community_demo.DEMO_SLUGS).order_by("pk")
        )
    now = now or timezone.now()
    for number, community in enumerate(communities, start=1):
        progress(number, len(communities), community.name)
        marker = resume_marker(repertoire_marker_name(community), now=now)
        resumed = marker.pk is not None
        if not resumed and community_has_repertoire(community):
            summary.skipped_communities += 1
            log(f"  {community.name}: library already there, left alone.")
            continue
        members = practice_demo._members(community)
        if len(members) < 3:
            continue
        community_started = time.monotonic()
        # A resumed library is planned from the moment its first run planned it from.
        planned_from = marker.now
        rng = random.Random(f"{SEED}-{community.slug}")
        domain = text.DOMAINS.get(community.slug, text.REFLECTION)
        start = max(community.created_at + timedelta(days=3), planned_from - timedelta(weeks=52))
        planner = _Planner(
            community=community,
            domain=domain,
            members=members,
            now=planned_from,
            start=start,
            rng=rng,
        )
        solved = list(
            Thread.objects.filter(
                community=community,
                is_hidden=False,
                accepted_post__isnull=False,
                accepted_post__is_hidden=False,
            )
            .select_related("accepted_post", "community")
            .prefetch_related("tags")
            .order_by("-helpful_count", "accepted_at", "pk")[: PROMOTED * 3]
        )
        rng.shuffle(solved)
        events = list(
            Event.objects.filter(
                community=community, cancelled_at__isnull=True, ends_at__lt=planned_from
            ).order_by("starts_at")
        )
        steps = planner.plan(solved, events)
        before = Counter(summary.counts)
        if resumed:
            log(f"  {community.name}: going on after step {marker.steps_done} of {len(steps)}.")
            planner.restore(marker.made)
        apply_steps_in_chunks(steps, summary, community.slug, marker=marker, made=planner.made)
        if marker.pk is not None:
            marker.delete()
        summary.communities += 1
        done = summary.counts - before
        log(
            f"  {community.name}: {done['item'] + done['promoted']} items "
            f"({done['promoted']} promoted), {done['publish']} published, "
            f"{done['evidence']} reports, {done['change']} change proposals "
            f"({time.monotonic() - community_started:.1f} s)"
        )
    summary.seconds = time.monotonic() - started
    for failure in summary.failures[:20]:
        log(f"  skipped: {failure}")
    return summary
