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
    username: str
    name: str


class CommunityOut(Schema):
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
    community: str = Field(description="The community's slug.")
    community_name: str
    role: str
    state: str
    joined_at: datetime | None = None


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None = None


class ThreadRow(Schema):
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
    body: Text = Field(min_length=1, max_length=BODY_MAX_LENGTH)
    reply_to: Id | None = Field(
        None, description="Quote this post of the same thread (a reply, not an answer)."
    )


class PostEditIn(StrictInput):
    body: Text = Field(min_length=1, max_length=BODY_MAX_LENGTH)
    title: Text | None = Field(
        None, max_length=TITLE_MAX_LENGTH, description="The opening post only: the thread's title."
    )
    tags: list[Text] | None = Field(
        None, max_length=5, description="The opening post only: replaces the thread's tags."
    )


class ReasonIn(StrictInput):
    reason: Text = Field("", max_length=500, description="Kept in the moderation log.")


class WorkedIn(StrictInput):
    worked: bool = Field(description="Did it work in your own practice?")
    note: Text = Field("", max_length=500)


class WorkedOut(Schema):
    worked: bool | None = Field(description="Your report now, or null when taken back.")
    worked_count: int
    did_not_work_count: int


class HiddenOut(Schema):
    id: int
    is_hidden: bool


class FollowOut(Schema):
    following: bool


class VoteIn(StrictInput):
    helpful: bool


class VoteOut(Schema):
    voted: bool
    helpful_count: int


class JoinRequestIn(StrictInput):
    message: Text = Field("", max_length=500)


class MembershipState(Schema):
    community: str
    state: str | None = None
    role: str | None = None


class SearchHit(Schema):
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
    ids: list[Id] | None = Field(
        None, max_length=500, description="Mark these read; leave out to mark all read."
    )


class MarkReadOut(Schema):
    marked: int


class Me(Schema):
    username: str
    name: str
    scopes: list[str]
    token: str | None = Field(None, description="The token's prefix, for a token call.")
