from django import forms

from search import permissions
from search.models import SearchEntry
from search.selectors import SearchFilters, item_kind_choices

Kind = SearchEntry.Kind
ITEM_KIND_PREFIX = "item:"
TAG_MAX_LENGTH = 50


def kind_choices() -> list[tuple[str, str]]:
    return [
        ("", "Everything"),
        (Kind.THREAD, "Threads"),
        (Kind.POST, "Answers and replies"),
        (Kind.ITEM, "Library items"),
        *[
            (f"{ITEM_KIND_PREFIX}{value}", f"Library: {label}")
            for value, label in item_kind_choices()
        ],
        (Kind.MEMBER, "Members"),
    ]


class SearchForm(forms.Form):
    """The search box and its filters (a GET form that works without JavaScript)."""

    q = forms.CharField(label="Search", required=False, strip=True)
    community = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "Choose one of the communities you can read."},
    )
    kind = forms.ChoiceField(
        label="Show",
        required=False,
        error_messages={"invalid_choice": "Choose one of the listed kinds of result."},
    )
    tag = forms.CharField(
        required=False,
        max_length=TAG_MAX_LENGTH,
        error_messages={"max_length": f"Tags are at most {TAG_MAX_LENGTH} characters long."},
    )
    solved = forms.ChoiceField(
        label="Questions",
        required=False,
        choices=[("", "Any"), ("yes", "Solved"), ("no", "Not solved yet")],
        error_messages={"invalid_choice": "Choose solved, not solved yet, or any."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.communities = permissions.searchable_communities(user)
        self.fields["community"].choices = [("", "All communities you can read")] + [
            (slug, c.name) for slug, c in self.communities.items()
        ]
        self.fields["kind"].choices = kind_choices()

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        kind, item_kind = data.get("kind") or "", ""
        if kind.startswith(ITEM_KIND_PREFIX):
            kind, item_kind = Kind.ITEM, kind.removeprefix(ITEM_KIND_PREFIX)
        solved = {"yes": True, "no": False}.get(data.get("solved") or "")
        return SearchFilters(
            community=self.communities.get(data.get("community") or ""),
            kind=kind,
            item_kind=item_kind,
            tag=" ".join((data.get("tag") or "").split()),
            solved=solved,
        )
