"""Forms for items, change proposals, curation and attachments. They only shape input; the
services validate and decide."""

import uuid

from django import forms

from knowledge.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    SUBMISSION_KEY_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Item,
)
from knowledge.services.items import MAX_LINKS, REVISION_COMMENT_MAX_LENGTH

KIND_HELP = {
    Item.Kind.STORY: "how something went in someone's practice",
    Item.Kind.TOOL: "something you use: a checklist, a device, an app",
    Item.Kind.CONCEPT: "an idea or a name for something that helps you think",
    Item.Kind.CASE: "one situation worked through in detail",
    Item.Kind.METHOD: "a way of doing something, step by step",
    Item.Kind.ARTEFACT: "a document, template or link",
    Item.Kind.EVENT_RECORD: "what happened at a meeting or event",
}
# Links are typed one per line; a generous bound on the text keeps a pasted novel out.
LINKS_TEXT_MAX_LENGTH = MAX_LINKS * 1_300


def new_submission_key() -> str:
    return uuid.uuid4().hex


def parse_links(text: str) -> list[tuple[str, str]]:
    """``https://example.org Label text`` per line → ``[(url, label), ...]``."""
    links = []
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 1)
        if parts:
            links.append((parts[0], parts[1] if len(parts) > 1 else ""))
    return links


def format_links(links) -> str:
    return "\n".join(f"{url} {label}".strip() for url, label in links)


class ItemForm(forms.Form):
    """A new item, an edit, or a proposed change (the view drops the fields it does not use)."""

    kind = forms.ChoiceField(
        label="What kind of item is it?",
        choices=[(value, f"{label} — {KIND_HELP[value]}") for value, label in Item.Kind.choices],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what kind of item this is.",
            "invalid_choice": "Choose what kind of item this is.",
        },
    )
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX_LENGTH,
        help_text="A name people will recognise in a list.",
        error_messages={"required": "Give the item a title."},
    )
    summary = forms.CharField(
        label="Summary",
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One paragraph: what it is, and when it helps.",
        error_messages={"required": "Write a one-paragraph summary."},
    )
    body = forms.CharField(
        label="The full text",
        required=False,
        strip=False,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Markdown works: **bold**, *italic*, lists, headings, `code`, links.",
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=500,
        help_text="Up to eight, separated by commas.",
        widget=forms.TextInput(attrs={"list": "tag-options", "autocomplete": "off"}),
    )
    links = forms.CharField(
        label="Links",
        required=False,
        max_length=LINKS_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"One per line: the address, then a label. Up to {MAX_LINKS}.",
    )
    comment = forms.CharField(
        label="What did you change?",
        required=False,
        max_length=REVISION_COMMENT_MAX_LENGTH,
        help_text="A few words for the history page.",
    )
    note = forms.CharField(
        label="A note for the moderators",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this change helps (optional).",
    )
    submission_key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=SUBMISSION_KEY_LENGTH
    )

    MODES = {
        "propose": ("kind", "title", "summary", "body", "tags", "links", "submission_key"),
        "edit": ("kind", "title", "summary", "body", "tags", "links", "comment"),
        "change": ("kind", "title", "summary", "body", "tags", "note"),
    }

    def __init__(self, *args, mode: str = "propose", **kwargs):
        super().__init__(*args, **kwargs)
        keep = self.MODES[mode]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.mode = mode

    def clean_links(self) -> list[tuple[str, str]]:
        return parse_links(self.cleaned_data["links"])

    def content(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "summary": data["summary"],
            "body": data["body"],
            "tag_names": data["tags"],
        }


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        label="What should change?",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The proposer sees this on the item and on their proposals page.",
        error_messages={"required": "Say what should change, so the proposer knows."},
    )


class ArchiveForm(forms.Form):
    comment = forms.CharField(
        label="Why archive it?",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the item's history.",
    )
    superseded_by = forms.ModelChoiceField(
        label="Superseded by",
        required=False,
        queryset=Item.objects.none(),
        empty_label="— nothing replaces it —",
        help_text="Readers who open the archived item are sent on to this one.",
        error_messages={"invalid_choice": "Choose a published item of this community."},
    )

    def __init__(self, *args, replacements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if replacements is not None:
            self.fields["superseded_by"].queryset = replacements


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Attach a file",
        max_length=1_000,
        error_messages={"required": "Choose a file to attach.", "empty": "The file is empty."},
    )


class LibraryFilterForm(forms.Form):
    """The library's filters; anything invalid falls back to no filter."""

    SORT_CHOICES = [
        ("recent", "Recently changed"),
        ("used", "Most used"),
        ("title", "Title"),
    ]

    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds")] + list(Item.Kind.choices)
    )
    tag = forms.CharField(label="Tag", required=False, max_length=100)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)
    featured = forms.BooleanField(label="Featured only", required=False)
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[
            ("", "In the library"),
            ("proposed", "Proposals waiting"),
            ("changes_requested", "Sent back for changes"),
            ("archived", "Archived"),
        ],
    )

    def filters(self) -> dict:
        """The valid filters; an invalid one (a hand-edited URL) is ignored, not an error."""
        self.is_valid()
        data = {"kind": "", "tag": "", "sort": "recent", "featured": False, "state": ""}
        for name in data:
            if name not in self.errors and self.cleaned_data.get(name):
                data[name] = self.cleaned_data[name]
        data["tag"] = " ".join(str(data["tag"]).split()).lower()
        return data
