"""Forms for threads and posts. They only shape input; the services validate and decide."""

import uuid

from django import forms

from practice.models import Thread

SUBMISSION_KEY_LENGTH = 40


def new_submission_key() -> str:
    return uuid.uuid4().hex


def split_tags(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class _BodyMixin(forms.Form):
    body = forms.CharField(
        label="Your text",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "data-preview": "1"}),
        help_text="Markdown works: **bold**, *italic*, lists, `code`, links, @username.",
        error_messages={"required": "Write something first."},
    )


class _SubmissionKeyMixin(forms.Form):
    # Generated when the form is rendered: a second submit of the same form makes no second post.
    submission_key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=SUBMISSION_KEY_LENGTH
    )


class ThreadForm(_SubmissionKeyMixin, _BodyMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What would you like to start?",
        choices=[
            (Thread.Kind.QUESTION, "A question — you are looking for an answer"),
            (Thread.Kind.DISCUSSION, "A discussion — you want to talk something through"),
            (Thread.Kind.STORY, "A story — how something went in your practice"),
        ],
        widget=forms.RadioSelect,
        initial=Thread.Kind.QUESTION,
        error_messages={"required": "Choose a question, a discussion or a story."},
    )
    title = forms.CharField(
        label="Title",
        max_length=Thread.title.field.max_length,
        help_text="One line that says what it is about.",
        error_messages={"required": "Give your thread a title."},
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        help_text="Up to five, separated by commas.",
        widget=forms.TextInput(attrs={"list": "tag-options", "autocomplete": "off"}),
    )
    field_order = ["kind", "title", "body", "tags", "submission_key"]

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])


class PostForm(_SubmissionKeyMixin, _BodyMixin, forms.Form):
    reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class PostEditForm(_BodyMixin, forms.Form):
    """Edit a post; the title and tags fields are kept only for an opening post."""

    title = forms.CharField(
        label="Title",
        max_length=Thread.title.field.max_length,
        error_messages={"required": "Give your thread a title."},
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        help_text="Up to five, separated by commas.",
        widget=forms.TextInput(attrs={"list": "tag-options", "autocomplete": "off"}),
    )
    field_order = ["title", "body", "tags"]

    def __init__(self, *args, is_opening: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_opening:
            del self.fields["title"]
            del self.fields["tags"]

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why (kept in the moderation log)",
        required=False,
        max_length=500,
        widget=forms.TextInput,
    )


class AdoptionForm(forms.Form):
    worked = forms.TypedChoiceField(
        choices=[("yes", "This worked for me"), ("no", "Didn't work for me")],
        coerce=lambda value: value == "yes",
        error_messages={
            "required": "Say whether it worked.",
            "invalid_choice": "Say whether it worked.",
        },
    )
    note = forms.CharField(
        label="A short note",
        required=False,
        max_length=500,
        help_text="What happened when you tried it.",
    )


class ThreadFilterForm(forms.Form):
    """The list page's filters; anything invalid falls back to no filter."""

    SORT_CHOICES = [
        ("activity", "Last activity"),
        ("newest", "Newest"),
        ("helpful", "Most helpful"),
    ]

    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "All kinds")] + list(Thread.Kind.choices),
    )
    tag = forms.CharField(
        label="Tag",
        required=False,
        max_length=100,
        # The community's popular tags, listed by the thread list (tag-filter-options).
        widget=forms.TextInput(
            attrs={"list": "tag-filter-options", "autocomplete": "off", "autocapitalize": "none"}
        ),
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)
    unanswered = forms.BooleanField(label="Unanswered", required=False)
    solved = forms.BooleanField(label="Solved", required=False)
    mine = forms.BooleanField(label="Mine", required=False)
    following = forms.BooleanField(label="Following", required=False)

    def filters(self) -> dict:
        """The valid filters; an invalid one (a hand-edited URL) is ignored, not an error."""
        self.is_valid()
        data = {
            "kind": "",
            "tag": "",
            "unanswered": False,
            "solved": False,
            "mine": False,
            "following": False,
        }
        data.update(self.cleaned_data)
        data["tag"] = " ".join(data["tag"].split()).lower()
        data["sort"] = data.get("sort") or "activity"
        return data
