"""OpenAPI links: which answer's values feed which next call (start a thread, then read it,
answer it, vote on the answer, accept it…). Clients and generators read them; schemathesis'
stateful tests follow them to chain real calls (tests/api/test_schemathesis.py).

One table, added to the generated schema by ``PracticaAPI.get_openapi_schema``; an operation
is named by its operationId (``api_v1_<module>_<function>``).
"""

SLUG = "$request.path.slug"


def _op(module: str, function: str) -> str:
    return f"api_v1_{module}_{function}"


def _to(module: str, function: str, description: str, **parameters: str) -> tuple:
    return _op(module, function), description, {"slug": SLUG, **parameters}


_THREAD = {"thread_id": "$response.body#/id"}
_THREAD_AGAIN = {"thread_id": "$request.path.thread_id"}
_POST = {"post_id": "$response.body#/id"}
_OPENING = {"post_id": "$response.body#/posts/0/id"}
_ITEM = {"item_id": "$response.body#/id"}
_EVENT = {"event_id": "$response.body#/id"}
_EVENT_AGAIN = {"event_id": "$request.path.event_id"}
_WEBHOOK = {"webhook_id": "$response.body#/id"}
_WEBHOOK_AGAIN = {"webhook_id": "$request.path.webhook_id"}


def _thread_links(thread: dict) -> list[tuple]:
    """From an answer that is a thread (ThreadDetail) to what one does with it next."""
    return [
        _to("threads", "thread_detail", "Read the thread again.", **thread),
        _to("threads", "thread_posts", "Its posts, oldest first.", **thread),
        _to("threads", "post_create", "Answer it, or reply.", **thread),
        _to("threads", "thread_follow", "Follow it.", **thread),
        _to("threads", "thread_unfollow", "Stop following it.", **thread),
        _to("threads", "answer_unaccept", "Take back its accepted answer.", **thread),
        _to("threads", "post_edit", "Edit its opening post.", **_OPENING),
        _to("moderation", "thread_lock", "Lock it (moderators).", **thread),
        _to("moderation", "thread_unlock", "Unlock it (moderators).", **thread),
    ]


LINKS: dict[tuple[str, int], list[tuple]] = {
    (_op("threads", "thread_create"), 201): _thread_links(_THREAD),
    (_op("moderation", "thread_lock"), 200): _thread_links(_THREAD_AGAIN),
    (_op("threads", "answer_accept"), 200): [
        _to("threads", "answer_unaccept", "Take the acceptance back.", **_THREAD),
        _to("threads", "thread_detail", "The thread, now solved.", **_THREAD),
    ],
    (_op("threads", "post_create"), 201): [
        _to("threads", "post_vote", "Mark the new post helpful.", **_POST),
        _to("threads", "answer_accept", "Accept the new answer.", **_POST),
        _to("threads", "post_edit", "Edit it.", **_POST),
        _to("threads", "post_worked", "Report whether it worked.", **_POST),
        _to("threads", "post_worked_withdraw", "Take the report back.", **_POST),
        _to("threads", "post_hide", "Hide it.", **_POST),
        _to("threads", "post_restore", "Restore it (moderators).", **_POST),
        _to("threads", "thread_posts", "The thread's posts.", **_THREAD_AGAIN),
    ],
    (_op("threads", "post_hide"), 200): [
        _to("threads", "post_restore", "Restore it (moderators).", **_POST),
    ],
    (_op("communities", "community_list"), 200): [
        _to(
            "communities",
            "community_detail",
            "The first community listed.",
            slug="$response.body#/items/0/slug",
        ),
    ],
    (_op("library", "item_propose"), 201): [
        _to("library", "item_detail", "Read the proposal.", **_ITEM),
        _to("library", "item_edit", "Edit it (its proposer, or a moderator).", **_ITEM),
        _to("library", "item_publish", "Publish it (moderators).", **_ITEM),
        _to("library", "item_archive", "Decline it (moderators).", **_ITEM),
    ],
    (_op("library", "item_publish"), 200): [
        _to("library", "item_feature", "Feature it.", **_ITEM),
        _to("library", "item_unfeature", "Stop featuring it.", **_ITEM),
        _to("library", "item_detail", "Read it.", **_ITEM),
    ],
    (_op("events", "event_create"), 201): [
        _to("events", "event_detail", "Read the event.", **_EVENT),
        _to("events", "event_rsvp", "Answer it.", **_EVENT),
        _to("events", "event_update", "Change it.", **_EVENT),
        _to("events", "event_cancel", "Cancel it.", **_EVENT),
    ],
    (_op("events", "event_rsvp"), 200): [
        _to("events", "event_detail", "The event with its new counts.", **_EVENT_AGAIN),
    ],
    (_op("webhooks", "webhook_create"), 201): [
        _to("webhooks", "webhook_detail", "Read the webhook.", **_WEBHOOK),
        _to("webhooks", "webhook_update", "Change it.", **_WEBHOOK),
        _to("webhooks", "webhook_secret_rotate", "Rotate its secret.", **_WEBHOOK),
        _to("webhooks", "webhook_deliveries", "Its delivery log.", **_WEBHOOK),
        _to("webhooks", "webhook_delete", "Delete it.", **_WEBHOOK),
    ],
    (_op("webhooks", "webhook_update"), 200): [
        _to("webhooks", "webhook_detail", "Read it again.", **_WEBHOOK_AGAIN),
    ],
    (_op("moderation", "join_request_list"), 200): [
        _to(
            "moderation",
            "join_request_approve",
            "Approve the oldest request.",
            request_id="$response.body#/items/0/id",
        ),
        _to(
            "moderation",
            "join_request_deny",
            "Deny the oldest request.",
            request_id="$response.body#/items/0/id",
        ),
    ],
}


def add_links(schema: dict) -> None:
    """Put the table's links into *schema*'s responses (in place)."""
    operations = {
        operation["operationId"]: operation
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for (source, status), targets in LINKS.items():
        responses = operations[source]["responses"]
        response = responses.get(status, responses.get(str(status)))
        links = response.setdefault("links", {})
        for target, description, parameters in targets:
            links[target.removeprefix("api_v1_")] = {
                "operationId": target,
                "parameters": parameters,
                "description": description,
            }
