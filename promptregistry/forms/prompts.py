"""Input of the registry's organisation pages: lists and filters, prompts, folders, access.

Forms only parse and check what a person typed; services do the writing (and the checks that
need the database), and views put a service's ValidationError next to the field it names.
"""

from django import forms
from django.db.models import Q, QuerySet

from workspaces.roles import Role

from .. import templating
from ..models import Label, Prompt, PromptVersion

TOP_LEVEL = ("", "Top level (no folder)")

TEMPLATE_FORMAT_CHOICES = [
    ("mustache", "{{variable}} (recommended)"),
    ("fstring", "{variable} (f-string)"),
    ("jinja2", "Jinja2 (advanced)"),
]

VIEW_ROLE_CHOICES = [
    ("", "Everyone in the workspace"),
    (Role.EDITOR, "Editors, admins and owners"),
    (Role.ADMIN, "Admins and owners only"),
]
EDIT_ROLE_CHOICES = [
    ("", "Editors, admins and owners"),
    (Role.ADMIN, "Admins and owners only"),
]

SORT_CHOICES = [
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("-updated", "Recently updated"),
    ("updated", "Oldest update first"),
]
SORT_FIELDS = {"name": "name", "-name": "-name", "updated": "updated_at", "-updated": "-updated_at"}

TYPE_CHOICES = [
    ("", "All kinds"),
    ("chat", "Chat prompts"),
    ("text", "Text prompts"),
    ("snippet", "Snippets"),
]


def split_tags(raw: str) -> list[str]:
    return [tag.strip().lower() for tag in raw.split(",") if tag.strip()]


def folder_choices(paths: list[str]) -> list[tuple[str, str]]:
    return [TOP_LEVEL, *[(path, path) for path in paths]]


class PromptFilterForm(forms.Form):
    """The list's search, filters and sort; invalid values are ignored, never an error page."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search names, descriptions and content"}
        ),
    )
    folder = forms.ChoiceField(required=False, label="Folder")
    type = forms.ChoiceField(required=False, label="Kind", choices=TYPE_CHOICES)
    tag = forms.ChoiceField(required=False, label="Tag")
    label = forms.ChoiceField(required=False, label="Label")
    author = forms.ChoiceField(required=False, label="Author")
    sort = forms.ChoiceField(required=False, label="Sort", choices=SORT_CHOICES)

    FILTERS = ("q", "type", "tag", "label", "author")

    def __init__(
        self,
        *args,
        folders: list[str],
        tags: list[str],
        labels: list[str],
        authors: list[tuple[int, str]],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["folder"].choices = [("", "All folders"), *[(p, p) for p in folders]]
        self.fields["tag"].choices = [("", "All tags"), *[(t, t) for t in tags]]
        self.fields["label"].choices = [("", "All labels"), *[(n, n) for n in labels]]
        self.fields["author"].choices = [("", "Anyone"), *[(str(i), n) for i, n in authors]]

    def value(self, name: str) -> str:
        """The cleaned value, or "" when missing or invalid (a stale link, a deleted tag)."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return self.cleaned_data.get(name) or ""

    @property
    def is_filtering(self) -> bool:
        return any(self.value(name) for name in self.FILTERS)

    def filter(self, prompts: QuerySet) -> QuerySet:
        if query := self.value("q").strip().lower():
            prompts = prompts.filter(search_text__contains=query)
        if folder := self.value("folder"):
            prompts = prompts.filter(name__under=folder)
        kind = self.value("type")
        if kind == "snippet":
            prompts = prompts.filter(kind=Prompt.Kind.SNIPPET)
        elif kind:
            prompts = prompts.filter(kind=Prompt.Kind.PROMPT, type=kind)
        if tag := self.value("tag"):
            prompts = prompts.filter(tags__name=tag)
        if label := self.value("label"):
            prompts = prompts.filter(pk__in=Label.objects.filter(name=label).values("prompt_id"))
        if author := self.value("author"):
            authored = PromptVersion.objects.filter(author_id=author).values("prompt_id")
            prompts = prompts.filter(Q(pk__in=authored) | Q(created_by_id=author))
        return prompts.order_by(SORT_FIELDS[self.value("sort") or "name"], "pk")


class PromptCreateForm(forms.Form):
    name = forms.CharField(
        max_length=255,
        help_text="Any characters but “|” and “\\”; “/” makes folders. Apps fetch the prompt by "
        "its folder and name, e.g. support/triage.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. triage", "autocomplete": "off"}),
    )
    folder = forms.ChoiceField(required=False, help_text="Where it lives. You can move it later.")
    kind = forms.ChoiceField(
        choices=[
            ("prompt", "Prompt — instructions your application sends to a model"),
            ("snippet", "Snippet — reusable text other prompts include by name"),
        ],
        initial="prompt",
        widget=forms.RadioSelect,
    )
    type = forms.ChoiceField(
        label="Prompt type",
        choices=[
            ("chat", "Chat — a conversation of messages (system, user…)"),
            ("text", "Text — one block of text"),
        ],
        initial="chat",
        widget=forms.RadioSelect,
        help_text="Snippets are always text. The type can't change after the first version.",
    )
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What it is for, so colleagues know when to use it.",
    )
    tags = forms.CharField(
        required=False,
        max_length=500,
        help_text="Comma-separated, e.g. billing, tone.",
    )
    system_message = forms.CharField(
        required=False,
        label="System message",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "class": "prompt-textarea",
                "data-autosize": True,
                "placeholder": ("You are a friendly support agent for {{company}}."),
            }
        ),
        help_text="How the model should behave.",
    )
    user_message = forms.CharField(
        required=False,
        label="User message",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "class": "prompt-textarea",
                "data-autosize": True,
                "placeholder": ("{{question}}"),
            }
        ),
        help_text="What the person asks; usually a variable your app fills in.",
    )
    text = forms.CharField(
        required=False,
        label="Text",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "prompt-textarea", "data-autosize": True}),
        help_text="For text prompts and snippets.",
    )
    template_format = forms.ChoiceField(
        label="Variables are written as",
        choices=TEMPLATE_FORMAT_CHOICES,
        initial=templating.DEFAULT_FORMAT.value,
        help_text="{{variable}} works with every client, Langfuse SDKs included. Jinja2 adds "
        "conditions and loops, rendered through PromptOps only.",
    )

    def __init__(self, *args, folders: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folder"].choices = folder_choices(folders)

    def clean(self):
        cleaned = super().clean()
        leaf = cleaned.get("name", "").strip()
        folder = cleaned.get("folder", "")
        cleaned["full_name"] = f"{folder}/{leaf}" if folder and leaf else leaf
        cleaned["tag_list"] = split_tags(cleaned.get("tags", ""))
        is_chat = cleaned.get("kind") == "prompt" and cleaned.get("type") == "chat"
        if is_chat:
            messages = [
                {"role": role, "content": cleaned.get(field, "")}
                for role, field in (("system", "system_message"), ("user", "user_message"))
                if cleaned.get(field, "").strip()
            ]
            if not messages:
                self.add_error("system_message", "Write a system message, a user message or both.")
            cleaned["version_content"] = {"messages": messages}
        else:
            if not cleaned.get("text", "").strip():
                self.add_error("text", "Write the text (you can change it in the editor later).")
            cleaned["version_content"] = {"text": cleaned.get("text", "")}
        return cleaned

    def content_field(self) -> str:
        """Where a service's content error belongs on this form."""
        if self.cleaned_data.get("kind") == "prompt" and self.cleaned_data.get("type") == "chat":
            return "system_message"
        return "text"


class PromptRenameForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=255,
        help_text="Folders first, separated by “/”: e.g. support/billing/refund-reply. "
        "Missing folders are created.",
    )


class PromptDetailsForm(forms.Form):
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. billing, tone."
    )

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])


class FolderCreateForm(forms.Form):
    name = forms.CharField(
        max_length=255,
        help_text="Any characters but “/”, “|” and “\\”. It becomes part of the names of the "
        "prompts inside, e.g. support/triage.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. support", "autocomplete": "off"}),
    )
    parent = forms.ChoiceField(required=False, label="Inside")

    def __init__(self, *args, folders: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = folder_choices(folders)


class FolderRenameForm(forms.Form):
    name = forms.CharField(max_length=255, label="New name")


class FolderMoveForm(forms.Form):
    parent = forms.ChoiceField(required=False, label="Move to")

    def __init__(self, *args, folders: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = folder_choices(folders)


class AccessForm(forms.Form):
    view_role = forms.ChoiceField(
        label="Who may see it",
        choices=VIEW_ROLE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    edit_role = forms.ChoiceField(
        label="Who may change it",
        choices=EDIT_ROLE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    viewers = forms.TypedMultipleChoiceField(
        label="Also let these people see it",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    editors = forms.TypedMultipleChoiceField(
        label="Also let these people change it",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="People allowed to change it may see it too.",
    )

    def __init__(self, *args, members: list[tuple[int, str, str]], **kwargs):
        """members: (user id, label, role) of the people below admin who can be let in."""
        super().__init__(*args, **kwargs)
        self.fields["viewers"].choices = [(pk, label) for pk, label, _ in members]
        self.fields["editors"].choices = [
            (pk, label) for pk, label, role in members if role != Role.VIEWER
        ]
