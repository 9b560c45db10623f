"""The shapes on the wire. Inputs forbid unknown fields (a typo is a 400, not a silent
no-op); outputs name only what the web pages show the same caller."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from api.v1.common import Id, Text
from practice.models.threads import BODY_MAX_LENGTH, TITLE_MAX_LENGTH


class StrictInput(Schema):
    model_config = ConfigDict(extra="forbid")


class Person(Schema):
    model_config = ConfigDict(
        json_schema_extra={"example": {"username": "ana", "name": "Ana Ruiz"}}
    )

    username: str
    name: str


class CommunityOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "slug": "wound-care",
                "name": "Wound care",
                "domain": "Nursing",
                "visibility": "open",
                "member_count": 214,
                "is_member": True,
                "can_read": True,
                "url": "/c/wound-care/",
            }
        }
    )

    slug: str
    name: str
    domain: str
    visibility: Literal["open", "request", "private"]
    # Only for callers who may read the community's content (as in the directory).
    member_count: int | None = None
    is_member: bool = False
    can_read: bool = False
    url: str


class CommunityDetail(CommunityOut):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                **CommunityOut.model_config["json_schema_extra"]["example"],
                "about_html": "<p>Nurses and doctors who treat chronic wounds.</p>",
                "moderators": [{"username": "ana", "name": "Ana Ruiz"}],
                "membership_state": "active",
                "membership_role": "member",
                "can_post": True,
                "can_join": False,
                "can_request": False,
                "can_leave": True,
            }
        }
    )
    about_html: str | None = None
    moderators: list[Person] | None = None
    membership_state: str | None = None
    membership_role: str | None = None
    can_post: bool = False
    can_join: bool = False
    can_request: bool = False
    can_leave: bool = False


class CommunityPage(Schema):
    items: list[CommunityOut]
    next_cursor: str | None = None


class MembershipOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "community": "wound-care",
                "community_name": "Wound care",
                "role": "member",
                "state": "active",
                "joined_at": "2026-03-14T10:02:00Z",
            }
        }
    )

    community: str = Field(description="The community's slug.")
    community_name: str
    role: str
    state: str
    joined_at: datetime | None = None


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None = None


class ThreadRow(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 812,
                "kind": "question",
                "title": "Foam or alginate for a weeping venous ulcer?",
                "author": {"username": "ana", "name": "Ana Ruiz"},
                "tags": ["dressings"],
                "is_solved": False,
                "is_locked": False,
                "is_hidden": False,
                "answer_count": 3,
                "reply_count": 5,
                "helpful_count": 7,
                "last_activity_at": "2026-12-07T09:40:00Z",
                "url": "/c/wound-care/t/812/",
            }
        }
    )

    id: int
    kind: str
    title: str
    author: Person
    tags: list[str]
    is_solved: bool
    is_locked: bool
    is_hidden: bool
    answer_count: int
    reply_count: int
    helpful_count: int
    last_activity_at: datetime
    url: str


class ThreadPage(Schema):
    items: list[ThreadRow]
    next_cursor: str | None = None


class PostOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 4410,
                "author": {"username": "lena", "name": "Lena Kraus"},
                "is_opening": False,
                "is_answer": True,
                "is_accepted": True,
                "is_hidden": False,
                "reply_to": None,
                "body": "Alginate under a foam border: changed daily.",
                "body_html": "<p>Alginate under a foam border: changed daily.</p>",
                "created_at": "2026-12-07T09:20:00Z",
                "edited_at": None,
                "helpful_count": 4,
            }
        }
    )

    id: int
    author: Person
    is_opening: bool
    is_answer: bool
    is_accepted: bool
    is_hidden: bool
    reply_to: int | None = None
    body: str = Field(description="The Markdown as written.")
    body_html: str = Field(description="Sanitised HTML (nh3), as the site shows it.")
    created_at: datetime
    edited_at: datetime | None = None
    helpful_count: int


class PostPage(Schema):
    items: list[PostOut]
    next_cursor: str | None = None


class ThreadDetail(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 812,
                "community": "wound-care",
                "kind": "question",
                "title": "Foam or alginate for a weeping venous ulcer?",
                "author": {"username": "ana", "name": "Ana Ruiz"},
                "tags": ["dressings"],
                "status": "solved",
                "is_locked": False,
                "is_hidden": False,
                "accepted_post": 4410,
                "answer_count": 3,
                "reply_count": 5,
                "helpful_count": 7,
                "created_at": "2026-12-07T09:14:03Z",
                "last_activity_at": "2026-12-07T09:40:00Z",
                "url": "/c/wound-care/t/812/",
                "posts": [PostOut.model_config["json_schema_extra"]["example"]],
                "posts_next_cursor": None,
            }
        }
    )
    id: int
    community: str
    kind: str
    title: str
    author: Person
    tags: list[str]
    status: str
    is_locked: bool
    is_hidden: bool
    accepted_post: int | None = None
    answer_count: int
    reply_count: int
    helpful_count: int
    created_at: datetime
    last_activity_at: datetime
    url: str
    posts: list[PostOut] = Field(description="The first page of posts, oldest first.")
    posts_next_cursor: str | None = Field(
        None, description="Pass to GET …/posts?cursor= for the rest."
    )


class ThreadIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "kind": "question",
                "title": "Foam or alginate for a weeping venous ulcer?",
                "body": "Exudate soaks through by noon. What has worked on your ward?",
                "tags": ["dressings", "venous-ulcers"],
            }
        },
    )

    kind: Literal["question", "discussion", "story"]
    title: Text = Field(min_length=1, max_length=TITLE_MAX_LENGTH)
    body: Text = Field(min_length=1, max_length=BODY_MAX_LENGTH)
    tags: list[Text] = Field(default_factory=list, max_length=5)


class PostIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"body": "Alginate under a foam border; we change it daily."}
        },
    )

    body: Text = Field(min_length=1, max_length=BODY_MAX_LENGTH)
    reply_to: Id | None = Field(
        None, description="Quote this post of the same thread (a reply, not an answer)."
    )


class PostEditIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "body": "Exudate soaks through by noon, even with a foam.",
                "title": "Foam or alginate?",
                "tags": ["dressings"],
            }
        },
    )

    body: Text = Field(min_length=1, max_length=BODY_MAX_LENGTH)
    title: Text | None = Field(
        None, max_length=TITLE_MAX_LENGTH, description="The opening post only: the thread's title."
    )
    tags: list[Text] | None = Field(
        None, max_length=5, description="The opening post only: replaces the thread's tags."
    )


class ReasonIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"reason": "Advertising"}}
    )

    reason: Text = Field("", max_length=500, description="Kept in the moderation log.")


class WorkedIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"worked": True, "note": "On night shifts too."}},
    )

    worked: bool = Field(description="Did it work in your own practice?")
    note: Text = Field("", max_length=500)


class WorkedOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={"example": {"worked": True, "worked_count": 6, "did_not_work_count": 1}}
    )

    worked: bool | None = Field(description="Your report now, or null when taken back.")
    worked_count: int
    did_not_work_count: int


class HiddenOut(Schema):
    model_config = ConfigDict(json_schema_extra={"example": {"id": 4410, "is_hidden": True}})

    id: int
    is_hidden: bool


class FollowOut(Schema):
    model_config = ConfigDict(json_schema_extra={"example": {"following": True}})

    following: bool


class VoteIn(StrictInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"helpful": True}})

    helpful: bool


class VoteOut(Schema):
    model_config = ConfigDict(json_schema_extra={"example": {"voted": True, "helpful_count": 5}})

    voted: bool
    helpful_count: int


class JoinRequestIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"message": "Tissue viability nurse on ward 7."}},
    )

    message: Text = Field("", max_length=500)


class MembershipState(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"community": "wound-care", "state": "active", "role": "member"}
        }
    )

    community: str
    state: str | None = None
    role: str | None = None


class SearchHit(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "kind": "thread",
                "title": "Foam or alginate?",
                "community": "wound-care",
                "url": "/c/wound-care/t/812/",
                "snippet_html": "…a weeping <mark>ulcer</mark> under…",
                "updated_at": "2026-12-07T09:40:00Z",
            }
        }
    )

    kind: str
    title: str
    community: str | None = None
    url: str
    snippet_html: str = Field(description="Escaped text around the match, matches in <mark>.")
    updated_at: datetime | None = None


class SearchPage(Schema):
    items: list[SearchHit]
    next_cursor: str | None = None
    message: str = ""


class NotificationOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 901,
                "kind": "answer",
                "text": "Lena Kraus answered “Foam or alginate?”",
                "url": "/c/wound-care/t/812/#post-4410",
                "community": "wound-care",
                "created_at": "2026-12-07T09:20:00Z",
                "read_at": None,
            }
        }
    )

    id: int
    kind: str
    text: str
    url: str
    community: str | None = None
    created_at: datetime
    read_at: datetime | None = None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None = None


class MarkReadIn(StrictInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"ids": [901, 902]}})

    ids: list[Id] | None = Field(
        None, max_length=500, description="Mark these read; leave out to mark all read."
    )


class MarkReadOut(Schema):
    model_config = ConfigDict(json_schema_extra={"example": {"marked": 2}})

    marked: int


class Me(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "username": "ana",
                "name": "Ana Ruiz",
                "scopes": ["read", "write"],
                "token": "pra_3f9a1c2e",
            }
        }
    )

    username: str
    name: str
    scopes: list[str]
    token: str | None = Field(None, description="The token's prefix, for a token call.")
