"""Forms of the history, diff, comments and release-label pages (their only input boundary)."""

from django import forms

from ..models import Prompt, validate_label
from ..services.comments import MAX_BODY

MARKDOWN_HELP = (
    "Markdown works: **bold**, _italic_, `code`, lists, > quotes and links "
    "(http, https or mailto). HTML is shown as text."
)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "data-autosize": "", "placeholder": "Add a note"}),
        help_text=MARKDOWN_HELP,
        error_messages={"required": "Write something before posting."},
    )


class DiffQueryForm(forms.Form):
    """?from=A&to=B&mode=side|inline; anything missing falls back to "to = newest, from = its
    parent, side by side"."""

    MODES = [("side", "Side by side"), ("inline", "Inline")]

    from_ = forms.IntegerField(min_value=1, required=False)
    to = forms.IntegerField(min_value=1, required=False)
    mode = forms.ChoiceField(choices=MODES, required=False)

    def __init__(self, data, *args, **kwargs):
        # "from" is a Python keyword: the field is from_, the query parameter stays "from".
        data = {"from_": data.get("from", ""), "to": data.get("to", ""), "mode": data.get("mode")}
        super().__init__(data, *args, **kwargs)


def version_choices(prompt: Prompt) -> list[tuple[int, str]]:
    """Every version, newest first, as "v3 · Shorter replies" (one query)."""
    rows = prompt.versions.order_by("-number").values_list("number", "commit_message")
    choices = []
    for number, message in rows:
        text = f"v{number}"
        if message:
            text += f" · {message[:60]}{'…' if len(message) > 60 else ''}"
        if number == prompt.latest_version_number:
            text += " (newest)"
        choices.append((number, text))
    return choices


class LabelNameField(forms.CharField):
    """A release label name: trimmed, lower-cased, checked (and never "latest")."""

    default_validators = [validate_label]

    def to_python(self, value):
        return super().to_python(value).strip().lower()


class LabelMoveForm(forms.Form):
    label = LabelNameField(
        label="Label",
        max_length=36,
        help_text="An existing label, or a new one such as “staging” or “canary”.",
        widget=forms.TextInput(
            attrs={"list": "label-names", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    version = forms.TypedChoiceField(label="Version", coerce=int)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = choices


class LabelSplitForm(forms.Form):
    version = forms.TypedChoiceField(label="Test version", coerce=int)
    percent = forms.IntegerField(
        label="Share of traffic",
        min_value=1,
        max_value=99,
        initial=10,
        help_text="Percent of requests that get the test version (1–99).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = choices
