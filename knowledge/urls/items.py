"""The library, items, curation, revisions and attachments (namespace "knowledge")."""

from django.urls import path

from knowledge.views import attachments, curation, items, library

ITEM = "c/<slug:slug>/library/<int:item_id>/"

urlpatterns = [
    path("c/<slug:slug>/library/", library.library_view, name="library"),
    path("c/<slug:slug>/library/new/", items.item_new_view, name="item_new"),
    path("c/<slug:slug>/library/mine/", library.my_proposals_view, name="my_proposals"),
    path(ITEM, items.item_view, name="item"),
    path(f"{ITEM}edit/", items.item_edit_view, name="item_edit"),
    path(f"{ITEM}history/", items.item_history_view, name="item_history"),
    path(f"{ITEM}diff/", items.item_diff_view, name="item_diff"),
    path(
        f"{ITEM}revisions/<int:number>/restore/",
        items.revision_restore_view,
        name="revision_restore",
    ),
    # Members' change proposals.
    path(f"{ITEM}changes/new/", items.change_new_view, name="change_new"),
    path(f"{ITEM}changes/<int:proposal_id>/", items.change_view, name="change"),
    *[
        path(
            f"{ITEM}changes/<int:proposal_id>/{decision.replace('_', '-')}/",
            items.change_decide_view,
            {"decision": decision},
            name=f"change_{decision}",
        )
        for decision in ("accept", "decline", "request_changes", "withdraw")
    ],
    # Curation.
    *[
        path(
            f"{ITEM}{action}/", curation.item_curate_view, {"action": action}, name=f"item_{action}"
        )
        for action in curation.ONE_CLICK
    ],
    path(
        f"{ITEM}request-changes/", curation.item_request_changes_view, name="item_request_changes"
    ),
    path(f"{ITEM}archive/", curation.item_archive_view, name="item_archive"),
    # Attachments.
    path(f"{ITEM}attachments/", attachments.attachment_add_view, name="attachment_add"),
    path(
        f"{ITEM}attachments/<int:attachment_id>/",
        attachments.attachment_view,
        name="attachment",
    ),
    path(
        f"{ITEM}attachments/<int:attachment_id>/remove/",
        attachments.attachment_remove_view,
        name="attachment_remove",
    ),
]
