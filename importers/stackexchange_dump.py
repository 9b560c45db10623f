"""Read a Stack Exchange data dump into a staging database, one row at a time.

Each XML file is read with ``iterparse`` and every element cleared once read, so memory stays
flat however large the dump; the rows go to a throwaway SQLite file next to nothing else
(stdlib ``sqlite3``), indexed by post, from which the importer takes one question with its
answers, comments and edits at a time. Bad input becomes a report line, never an exception:
a file that breaks off (truncated) keeps the rows read before the break; NUL bytes and
references to characters XML forbids are removed before the parser sees them; a row with an
unreadable id or date is skipped.

The published schema (the dump's readme): Posts (PostTypeId 1 question, 2 answer, others are
tag wikis and the like), Users, Comments, Votes, Tags, PostHistory (1/2/3 initial title, body,
tags; 4/5/6 edits; 7/8/9 rollbacks), PostLinks (1 linked, 3 duplicate).
"""

from __future__ import annotations

import os
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from importers.report import ImportReport

QUESTION, ANSWER = 1, 2
POST_TYPE_NAMES = {
    3: "an orphaned tag wiki",
    4: "a tag wiki excerpt",
    5: "a tag wiki",
    6: "a moderator nomination",
    7: "a wiki placeholder",
    8: "a privilege wiki",
}
INITIAL_TITLE, INITIAL_BODY, INITIAL_TAGS = 1, 2, 3
TITLE_EDITS, BODY_EDITS, TAG_EDITS = {4, 7}, {5, 8}, {6, 9}
HISTORY_TYPES = {1, 2, 3, 4, 5, 6, 7, 8, 9}
ACCEPT_VOTE = 1
LINK_KINDS = {1: "linked", 3: "duplicate"}
FILES = ("Posts", "Users", "Comments", "Votes", "Tags", "PostHistory", "PostLinks")
# Rows per executemany: large enough to amortise the call, small enough to stay flat.
STAGE_BATCH = 2000

# Character references XML 1.0 forbids (control characters other than tab, LF and CR).
_BAD_REFERENCE = re.compile(
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));"
)


class DumpError(Exception):
    """The dump cannot be imported at all (one readable sentence)."""


class _CleanStream:
    """A binary file that drops NUL bytes and forbidden character references as it is read."""

    def __init__(self, raw):
        self.raw = raw
        self.tail = b""
        self.removed = 0

    def read(self, size: int = 1 << 16) -> bytes:
        size = size if size and size > 0 else 1 << 16
        while True:
            chunk = self.raw.read(size)
            data = self.tail + chunk
            self.tail = b""
            if chunk:
                # Hold back a reference cut by the chunk's end until the next read.
                amp = data.rfind(b"&", max(0, len(data) - 12))
                if amp != -1 and b";" not in data[amp:]:
                    data, self.tail = data[:amp], data[amp:]
            nuls = data.count(b"\0")
            data = data.replace(b"\0", b"")
            data, refs = _BAD_REFERENCE.subn(b"", data)
            self.removed += nuls + refs
            if data or not chunk:
                return data


def parse_date(value: str | None) -> datetime | None:
    """Stack Exchange dates are UTC without a zone: '2010-07-28T19:04:21.300'."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_tags(value: str | None) -> list[str]:
    """'<a><b>' (older dumps) or '|a|b|' (newer ones)."""
    if not value:
        return []
    if value.startswith("<"):
        return re.findall(r"<([^<>]+)>", value)
    return [t for t in value.split("|") if t]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _rows(path: str, name: str, report: ImportReport) -> Iterator[dict]:
    """Yield each <row>'s attributes from *path*, reporting a file that is empty or breaks off."""
    if os.path.getsize(path) == 0:
        report.note(f"{name}.xml: the file is empty; nothing was read from it.")
        return
    read = 0
    with open(path, "rb") as raw:
        stream = _CleanStream(raw)
        root = None
        try:
            for event, elem in ET.iterparse(stream, events=("start", "end")):
                if root is None:
                    root = elem
                    continue
                if event == "end" and elem.tag == "row":
                    read += 1
                    yield dict(elem.attrib)
                    root.clear()  # what was read is dropped: memory stays flat
        except ET.ParseError as exc:
            line, column = exc.position
            if read == 0 and root is None:
                report.note(f"{name}.xml: not readable as XML ({exc}); nothing was read from it.")
            else:
                report.note(
                    f"{name}.xml: the XML breaks off at line {line}, column {column} "
                    f"(truncated or not well-formed); the {read:,} rows before it were read, "
                    "any after it were not."
                )
        if stream.removed:
            report.note(
                f"{name}.xml: removed {stream.removed:,} NUL bytes or control-character "
                "references that XML and the database cannot store."
            )


@dataclass
class Post:
    id: int
    type: int
    parent: int | None
    accepted: int | None
    owner: int | None
    owner_name: str
    created: datetime
    score: int | None
    title: str
    tags: list[str]
    body: str
    closed: datetime | None


@dataclass
class Comment:
    id: int
    post: int
    user: int | None
    user_name: str
    created: datetime
    score: int | None
    text: str


@dataclass
class HistoryRow:
    id: int
    post: int
    type: int
    user: int | None
    user_name: str
    created: datetime
    text: str


@dataclass
class Bundle:
    """One question and everything that belongs to it."""

    question: Post
    answers: list[Post]
    comments: list[Comment]
    history: list[HistoryRow]
    accepted_at: datetime | None
    links: list[tuple[int, str]]
    # What the importer works out of the text ahead (``importers.services.bundle_prepare``),
    # in a worker process for a large dump; None until then.
    prepared: object | None = None


_SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, created TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, type INT, parent INT, accepted INT, owner INT,
    owner_name TEXT, created TEXT, score INT, title TEXT, tags TEXT, body TEXT, closed TEXT);
-- A question's answers by parent and type, in order: with the parent alone, SQLite chose the
-- (type, created) index and read every answer for each question (quadratic: at 100,000 posts
-- three quarters of the importing process's time).
CREATE INDEX posts_parent ON posts (parent, type, created, id);
CREATE INDEX posts_type_created ON posts (type, created, id);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post INT, user INT, user_name TEXT,
    created TEXT, score INT, text TEXT);
CREATE INDEX comments_post ON comments (post);
CREATE TABLE history (id INTEGER PRIMARY KEY, post INT, type INT, user INT, user_name TEXT,
    created TEXT, text TEXT);
CREATE INDEX history_post ON history (post);
CREATE TABLE accepts (post INTEGER PRIMARY KEY, created TEXT);
CREATE TABLE links (post INT, related INT, kind TEXT);
CREATE INDEX links_post ON links (post);
"""


class StagedDump:
    """A dump read into a staging SQLite file: rows by post, and what was skipped."""

    def __init__(self, directory: str, staging_path: str, report: ImportReport):
        self.directory = directory
        self.staging_path = staging_path
        self.report = report
        self.present: list[str] = []
        self.vote_types: Counter = Counter()
        self.tag_count = 0
        self.db = sqlite3.connect(staging_path)
        self.db.executescript(_SCHEMA)

    # --- reading -------------------------------------------------------------------------

    def read(self) -> None:
        posts = os.path.join(self.directory, "Posts.xml")
        if not os.path.isfile(posts):
            raise DumpError(f"There is no Posts.xml in {self.directory}.")
        if os.path.getsize(posts) == 0:
            raise DumpError("Posts.xml is empty: there is nothing to import.")
        for name in FILES:
            path = os.path.join(self.directory, f"{name}.xml")
            if not os.path.isfile(path):
                continue
            self.present.append(name)
            getattr(self, f"_read_{name.lower()}")(path)
        self.db.commit()
        missing = [n for n in FILES if n not in self.present]
        if missing:
            effects = {
                "Users": "people are shown as “user 123”, joined when first seen",
                "Comments": "no comments imported",
                "Votes": "accepted answers dated by the answer",
                "Tags": "nothing lost (tags come from the posts)",
                "PostHistory": "no earlier versions: each post as it is now, converted from HTML",
                "PostLinks": "no duplicate or related links",
            }
            for name in missing:
                self.report.note(f"{name}.xml is not in the dump: {effects[name]}.")

    def _batched(self, sql: str, rows) -> int:
        batch, n = [], 0
        for row in rows:
            batch.append(row)
            if len(batch) >= STAGE_BATCH:
                n += self._insert(sql, batch)
                batch = []
        if batch:
            n += self._insert(sql, batch)
        return n

    def _insert(self, sql: str, batch) -> int:
        before = self.db.total_changes
        self.db.executemany(sql, batch)
        return self.db.total_changes - before

    def _date(self, name: str, row_id, value, what: str) -> str | None:
        parsed = parse_date(value)
        if parsed is None:
            self.report.skip(
                f"{name}.xml row {row_id}: the date {value!r} is not a date; {what} skipped.",
                kind=what,
            )
            return None
        return parsed.isoformat()

    def _read_posts(self, path: str) -> None:
        def rows():
            for r in _rows(path, "Posts", self.report):
                post_id, kind = _int(r.get("Id")), _int(r.get("PostTypeId"))
                if post_id is None:
                    self.report.skip(f"Posts.xml: a row without a numeric Id: {r.get('Id')!r}.")
                    continue
                if kind not in (QUESTION, ANSWER):
                    unknown = f"an unknown post type {r.get('PostTypeId')!r}"
                    what = POST_TYPE_NAMES.get(kind, unknown)
                    self.report.skip(f"post {post_id}: {what}, not imported.", kind="posts")
                    continue
                created = self._date("Posts", post_id, r.get("CreationDate"), "post")
                if created is None:
                    continue
                closed = parse_date(r.get("ClosedDate"))
                yield (
                    post_id, kind, _int(r.get("ParentId")), _int(r.get("AcceptedAnswerId")),
                    _int(r.get("OwnerUserId")), r.get("OwnerDisplayName") or "", created,
                    _int(r.get("Score")), r.get("Title") or "", r.get("Tags") or "",
                    r.get("Body") or "", closed.isoformat() if closed else None,
                )  # fmt: skip

        read = self._batched("INSERT OR IGNORE INTO posts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows())
        self.report.counts["posts read"] += read

    def _read_users(self, path: str) -> None:
        def rows():
            for r in _rows(path, "Users", self.report):
                user_id = _int(r.get("Id"))
                if user_id is None:
                    continue
                created = parse_date(r.get("CreationDate"))
                yield (
                    user_id,
                    (r.get("DisplayName") or "").strip(),
                    (created.isoformat() if created else None),
                )

        self.report.counts["people read"] += self._batched(
            "INSERT OR IGNORE INTO users VALUES (?,?,?)", rows()
        )

    def _read_comments(self, path: str) -> None:
        def rows():
            for r in _rows(path, "Comments", self.report):
                comment_id, post_id = _int(r.get("Id")), _int(r.get("PostId"))
                if comment_id is None or post_id is None:
                    self.report.skip(
                        f"Comments.xml: a row without a numeric Id or PostId ({r.get('Id')!r}).",
                        kind="comments",
                    )
                    continue
                created = self._date("Comments", comment_id, r.get("CreationDate"), "comments")
                if created is None:
                    continue
                yield (
                    comment_id, post_id, _int(r.get("UserId")), r.get("UserDisplayName") or "",
                    created, _int(r.get("Score")), r.get("Text") or "",
                )  # fmt: skip

        self.report.counts["comments read"] += self._batched(
            "INSERT OR IGNORE INTO comments VALUES (?,?,?,?,?,?,?)", rows()
        )

    def _read_posthistory(self, path: str) -> None:
        others = Counter()

        def rows():
            for r in _rows(path, "PostHistory", self.report):
                row_id, post_id = _int(r.get("Id")), _int(r.get("PostId"))
                kind = _int(r.get("PostHistoryTypeId"))
                if row_id is None or post_id is None:
                    continue
                if kind not in HISTORY_TYPES:
                    others[kind] += 1
                    continue
                created = self._date("PostHistory", row_id, r.get("CreationDate"), "edits")
                if created is None:
                    continue
                yield (
                    row_id, post_id, kind, _int(r.get("UserId")), r.get("UserDisplayName") or "",
                    created, r.get("Text") or "",
                )  # fmt: skip

        self._batched("INSERT OR IGNORE INTO history VALUES (?,?,?,?,?,?,?)", rows())
        if others:
            self.report.note(
                f"PostHistory.xml: {sum(others.values()):,} rows of other kinds (closing, "
                "locking, migration, suggested edits...) are not imported as revisions; "
                "closed questions are taken from Posts.xml's ClosedDate."
            )

    def _read_votes(self, path: str) -> None:
        def rows():
            for r in _rows(path, "Votes", self.report):
                kind, post_id = _int(r.get("VoteTypeId")), _int(r.get("PostId"))
                self.vote_types[kind] += 1
                if kind == ACCEPT_VOTE and post_id is not None:
                    created = parse_date(r.get("CreationDate"))
                    if created is not None:
                        yield post_id, created.isoformat()

        self._batched("INSERT OR IGNORE INTO accepts VALUES (?,?)", rows())
        total = sum(self.vote_types.values())
        self.report.note(
            f"Votes.xml: {total:,} votes read; none becomes a member's vote (the dump does not "
            "say who voted): each post keeps its score as a number, and acceptance votes date "
            "the accepted answers."
        )

    def _read_tags(self, path: str) -> None:
        self.tag_count = sum(1 for _ in _rows(path, "Tags", self.report))
        self.report.note(
            f"Tags.xml: {self.tag_count:,} tags read; threads take their tags from the posts, "
            "tag wikis and excerpts are not imported."
        )

    def _read_postlinks(self, path: str) -> None:
        def rows():
            for r in _rows(path, "PostLinks", self.report):
                post_id, related = _int(r.get("PostId")), _int(r.get("RelatedPostId"))
                kind = LINK_KINDS.get(_int(r.get("LinkTypeId")))
                if post_id is not None and related is not None and kind:
                    yield post_id, related, kind

        self._batched("INSERT INTO links VALUES (?,?,?)", rows())

    # --- what the importer reads -----------------------------------------------------------

    def question_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM posts WHERE type = 1").fetchone()[0]

    def people(self) -> dict[int, tuple[str, datetime | None]]:
        """Users.xml's people by id: (display name, account creation)."""
        return {
            uid: (name, parse_date(created))
            for uid, name, created in self.db.execute("SELECT id, name, created FROM users")
        }

    def first_seen(self) -> dict[int, datetime]:
        """When each person id first appears (a join date when Users.xml says nothing)."""
        sql = """
            SELECT user, min(created) FROM (
                SELECT owner AS user, created FROM posts WHERE owner IS NOT NULL
                UNION ALL SELECT user, created FROM comments WHERE user IS NOT NULL
                UNION ALL SELECT user, created FROM history WHERE user IS NOT NULL
            ) GROUP BY user
        """
        return {uid: parse_date(created) for uid, created in self.db.execute(sql)}

    def bundles(self) -> Iterator[Bundle]:
        """Each question with its answers, comments, edits, acceptance and links, oldest first."""
        cursor = self.db.execute("SELECT * FROM posts WHERE type = 1 ORDER BY created, id")
        for row in cursor:
            yield _bundle(self.db, row)

    def question_ids(self) -> list[int]:
        """The questions' ids, oldest first (the order of ``bundles``)."""
        return [
            pid
            for (pid,) in self.db.execute(
                "SELECT id FROM posts WHERE type = 1 ORDER BY created, id"
            )
        ]

    def orphans(self) -> None:
        """Report the answers, comments and edits whose post is not in the dump."""
        for answer_id, parent in self.db.execute(
            "SELECT id, parent FROM posts WHERE type = 2 AND (parent IS NULL OR parent NOT IN "
            "(SELECT id FROM posts WHERE type = 1)) ORDER BY id"
        ):
            self.report.skip(
                f"answer {answer_id}: its question {parent} is not in the dump (deleted, or "
                "not a question); not imported.",
                kind="answers",
            )
        for comment_id, post_id in self.db.execute(
            "SELECT id, post FROM comments WHERE post NOT IN (SELECT id FROM posts) ORDER BY id"
        ):
            self.report.skip(
                f"comment {comment_id}: its post {post_id} is not in the dump (deleted, or a "
                "kind of post we do not import); not imported.",
                kind="comments",
            )
        n = self.db.execute(
            "SELECT count(*) FROM history WHERE post NOT IN (SELECT id FROM posts)"
        ).fetchone()[0]
        if n:
            self.report.note(
                f"PostHistory.xml: {n:,} edits of posts that are not in the dump (deleted, or "
                "tag wikis) were not imported."
            )

    def close(self) -> None:
        self.db.close()


def _post(row) -> Post:
    (pid, kind, parent, accepted, owner, owner_name, created, score, title, tags, body,
     closed) = row  # fmt: skip
    return Post(
        id=pid,
        type=kind,
        parent=parent,
        accepted=accepted,
        owner=owner,
        owner_name=owner_name or "",
        created=parse_date(created),
        score=score,
        title=title or "",
        tags=parse_tags(tags),
        body=body or "",
        closed=parse_date(closed),
    )


def bundles_of(staging_path: str, ids: list[int]) -> list[Bundle]:
    """The bundles of the questions *ids*, in that order, read from the staging file at
    *staging_path* through a connection of its own (a worker process's)."""
    db = sqlite3.connect(f"file:{staging_path}?mode=ro", uri=True)
    try:
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in db.execute(f"SELECT * FROM posts WHERE id IN ({marks})", chunk):  # noqa: S608
                rows[row[0]] = row
        return [_bundle(db, rows[pid]) for pid in ids if pid in rows]
    finally:
        db.close()


def _bundle(db: sqlite3.Connection, row) -> Bundle:
    """The question of *row* with everything that belongs to it."""
    question = _post(row)
    answers = [
        _post(r)
        for r in db.execute(
            "SELECT * FROM posts WHERE type = 2 AND parent = ? ORDER BY created, id",
            (question.id,),
        )
    ]
    ids = [question.id] + [a.id for a in answers]
    marks = ",".join("?" * len(ids))
    comments = [
        Comment(i, p, u, un or "", parse_date(c), s, t or "")
        for i, p, u, un, c, s, t in db.execute(
            f"SELECT * FROM comments WHERE post IN ({marks}) ORDER BY created, id", ids
        )
    ]
    history = [
        HistoryRow(i, p, k, u, un or "", parse_date(c), t or "")
        for i, p, k, u, un, c, t in db.execute(
            f"SELECT * FROM history WHERE post IN ({marks}) ORDER BY created, id", ids
        )
    ]
    accepted_at = None
    if question.accepted is not None:
        found = db.execute(
            "SELECT created FROM accepts WHERE post = ?", (question.accepted,)
        ).fetchone()
        accepted_at = parse_date(found[0]) if found else None
    links = list(db.execute("SELECT related, kind FROM links WHERE post = ?", (question.id,)))
    return Bundle(question, answers, comments, history, accepted_at, links)
