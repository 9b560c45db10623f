"""The promotion form: a proposed item prefilled from a discussion. It only shapes input; the
item services validate and decide."""

import uuid

from django import forms

from knowledge.models import BODY_MAX_LENGTH, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, Item

SUBMISSION_KEY_LENGTH = 40


def new_submission_key() -> str:
    return uuid.uuid4().hex


class PromotionForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of item is it?",
        choices=Item.Kind.choices,
        help_text="A method says how to do something; a case tells one situation and what was "
        "done; a concept names an idea the community uses.",
        error_messages={"required": "Choose a kind.", "invalid_choice": "Choose a kind."},
    )
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": "Give the item a title."},
    )
    summary = forms.CharField(
        label="Summary",
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One paragraph: what it is and when it helps. Lists and search show it.",
        error_messages={"required": "Write a one-paragraph summary."},
    )
    body = forms.CharField(
        label="Body",
        required=False,
        strip=False,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16, "data-preview": "1"}),
        help_text="Markdown. It quotes the discussion with attribution; rewrite it into "
        "something a newcomer can use, and keep the credit.",
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        help_text="Separated by commas.",
    )
    # Set when the form is rendered: submitting it twice makes one item.
    submission_key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=SUBMISSION_KEY_LENGTH
    )
    field_order = ["kind", "title", "summary", "body", "tags", "submission_key"]

    def clean_tags(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["tags"].split(",") if part.strip()]
