from django import forms
from django.utils.text import slugify

from . import audit
from .models import LABEL_PATTERN, SLUG_VALIDATOR, AuditEvent, Workspace
from .roles import RANK, Role


def roles_up_to(role: str) -> list[tuple[str, str]]:
    """The roles someone may grant: never above their own."""
    return [(value, label) for value, label in Role.choices if RANK[value] <= RANK[role]]


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Your team or product, e.g. “Support bot”.")
    slug = forms.CharField(
        max_length=50,
        required=False,
        label="Address",
        validators=[SLUG_VALIDATOR],
        # Plain text: Django's form templates print help_text unescaped, so no <…> here.
        help_text="Appears in links, e.g. /w/support-bot/. Leave empty to derive it from the name.",
    )

    def clean(self):
        cleaned = super().clean()
        if "slug" in cleaned and not cleaned["slug"] and cleaned.get("name"):
            cleaned["slug"] = slugify(cleaned["name"])[:50].strip("-")
            if not cleaned["slug"]:
                self.add_error("slug", "Choose an address with letters or digits.")
        slug = cleaned.get("slug")
        if slug and Workspace.objects.filter(slug=slug).exists():
            self.add_error("slug", f"The address “{slug}” is taken. Choose another.")
        return cleaned


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(max_length=100)
    protected_labels = forms.CharField(
        required=False,
        help_text="Comma-separated release labels only admins and owners may move, "
        "e.g. production, eu-production.",
    )

    def clean_protected_labels(self) -> list[str]:
        raw = self.cleaned_data["protected_labels"].split(",")
        labels = [label.strip().lower() for label in raw if label.strip()]
        bad = [label for label in labels if not LABEL_PATTERN.fullmatch(label)]
        if bad:
            raise forms.ValidationError(
                "Labels are up to 36 lowercase letters, digits, “-”, “_” or “.”. Fix: "
                + ", ".join(bad)
            )
        return labels


class InvitationForm(forms.Form):
    email = forms.EmailField(help_text="They get a link that works once and expires in 7 days.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)

    def __init__(self, *args, inviter_role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles_up_to(inviter_role)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where it is used, e.g. “support-bot prod”.")
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.VIEWER,
        help_text="The most the key may do. Apps that only fetch prompts need Viewer.",
    )

    def __init__(self, *args, creator_role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles_up_to(creator_role)


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        required=False,
        label="Actor",
        widget=forms.TextInput(attrs={"placeholder": "Email or key name"}),
    )
    action = forms.ChoiceField(required=False, label="Action")
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any action")] + sorted(
            ((a, audit.action_name(a)) for a in actions), key=lambda choice: choice[1]
        )

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("actor"):
            queryset = queryset.filter(actor_label__icontains=data["actor"])
        if data.get("action"):
            queryset = queryset.filter(action=data["action"])
        if data.get("since"):
            queryset = queryset.filter(at__date__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(at__date__lte=data["until"])
        return queryset


def audit_actions(workspace) -> list[str]:
    return list(
        AuditEvent.objects.filter(workspace=workspace)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
