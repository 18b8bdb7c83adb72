"""The gateway pages' input: log filters, gateway settings, providers, models, aliases, feedback.

The API key field is write-only: a PasswordInput that never renders a value, and left empty
on an edit it keeps the saved key (services.providers.KEEP).
"""

import json
from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .logs.query import with_metadata
from .models import Completion, GatewaySettings, ModelAlias, Provider, ProviderModel
from .services.settings import RETENTION_MAX_DAYS

ANY = [("", "Any")]


class LogFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"placeholder": "Text in the input or output", "type": "search"}
        ),
    )
    status = forms.ChoiceField(required=False, choices=ANY + Completion.Status.choices)
    source = forms.ChoiceField(required=False, choices=ANY + Completion.Source.choices)
    prompt = forms.CharField(required=False, max_length=255)
    version = forms.IntegerField(required=False, min_value=1, max_value=2_147_483_647)
    label = forms.CharField(required=False, max_length=36)
    model = forms.CharField(required=False, max_length=200)
    user = forms.CharField(required=False, max_length=255, help_text="The caller's user id")
    tag = forms.CharField(required=False, max_length=100)
    meta = forms.CharField(
        required=False,
        max_length=300,
        label="Metadata",
        widget=forms.TextInput(attrs={"placeholder": "key=value"}),
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    MORE = ("prompt", "version", "label", "model", "user", "tag", "meta")

    def clean_meta(self) -> tuple[str, str] | None:
        raw = self.cleaned_data["meta"].strip()
        if not raw:
            return None
        key, sep, value = raw.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError("Write it as key=value, e.g. customer=acme.")
        return key.strip(), value.strip()

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return cleaned

    @property
    def is_filtering(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)

    @property
    def more_open(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.MORE)

    def filter(self, completions: QuerySet) -> QuerySet:
        data = self.cleaned_data
        for field, name in (
            ("status", "status"),
            ("source", "source"),
            ("prompt", "prompt_name"),
            ("version", "prompt_version"),
            ("label", "prompt_label"),
            ("user", "user_ref"),
        ):
            if data.get(field) not in (None, ""):
                completions = completions.filter(**{name: data[field]})
        if data.get("model"):
            model = data["model"]
            completions = completions.filter(Q(model_name=model) | Q(requested_model=model))
        if data.get("tag"):
            tag = data["tag"]
            completions = completions.alias(tags_text=Cast("tags", TextField())).filter(
                Q(tags_text__contains=json.dumps(tag))
                | Q(tags_text__contains=json.dumps(tag, ensure_ascii=False))
            )
        if data.get("meta"):
            completions = with_metadata(completions, *data["meta"])
        tz = timezone.get_current_timezone()
        if data.get("since"):
            start = datetime.combine(data["since"], time.min, tzinfo=tz)
            completions = completions.filter(created_at__gte=start)
        if data.get("until"):
            end = datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=tz)
            completions = completions.filter(created_at__lt=end)
        if data.get("q"):
            text = data["q"]
            completions = completions.alias(input_text=Cast("input_messages", TextField())).filter(
                Q(output_text__icontains=text) | Q(input_text__icontains=text)
            )
        return completions


class GatewaySettingsForm(forms.Form):
    store_content = forms.ChoiceField(
        choices=GatewaySettings.StoreContent.choices,
        widget=forms.RadioSelect,
        label="Store inputs and outputs",
    )
    retention_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=RETENTION_MAX_DAYS,
        label="Keep completions for (days)",
        help_text="Empty keeps them until you delete the workspace. Older ones are deleted "
        "every hour; analytics keep their hourly totals.",
    )


class ProviderForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="How your team tells providers apart.")
    kind = forms.ChoiceField(choices=Provider.Kind.choices, label="Type")
    base_url = forms.CharField(
        required=False,
        max_length=500,
        label="Base URL",
        help_text="Required for an OpenAI-compatible server, e.g. http://vllm.internal:8000/v1. "
        "Empty for OpenAI and Anthropic themselves.",
    )
    api_key = forms.CharField(
        required=False,
        max_length=500,
        label="API key",
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    remove_api_key = forms.BooleanField(required=False, label="Remove the saved key")
    connect_timeout_seconds = forms.FloatField(
        min_value=0.1, max_value=600, initial=10.0, label="Connect timeout (s)"
    )
    total_timeout_seconds = forms.FloatField(
        min_value=0.1,
        max_value=3600,
        initial=120.0,
        label="Total timeout (s)",
        help_text="The whole call, streamed answer included.",
    )
    max_retries = forms.IntegerField(
        min_value=0,
        max_value=10,
        initial=2,
        label="Retries",
        help_text="On rate limits, server errors and lost connections.",
    )

    def __init__(self, *args, provider: Provider | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        if provider is not None and provider.has_api_key:
            self.fields["api_key"].help_text = (
                f"Saved: {provider.api_key_hint}. Leave empty to keep it; "
                "the saved key is never shown again."
            )
        else:
            self.fields["api_key"].help_text = (
                "Stored encrypted and never shown again. Servers without keys (Ollama, "
                "a local vLLM) can leave it empty."
            )
            del self.fields["remove_api_key"]


class ModelForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        help_text="What clients send as “model”, e.g. gpt-4o-mini. Unique in the workspace.",
    )
    upstream_name = forms.CharField(
        max_length=200,
        required=False,
        label="Provider's model id",
        help_text="Empty: the same as the name.",
    )
    display_name = forms.CharField(max_length=200, required=False)
    context_window = forms.IntegerField(
        required=False, min_value=1, max_value=100_000_000, label="Context window (tokens)"
    )
    input_price_per_million = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=6,
        label="Input price (USD per 1M tokens)",
    )
    output_price_per_million = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=6,
        label="Output price (USD per 1M tokens)",
    )
    default_params = forms.JSONField(
        required=False,
        label="Default parameters (JSON)",
        help_text="Sent with every call unless the prompt or the call says otherwise, e.g. "
        '{"temperature": 0.2}.',
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
    )

    def clean_default_params(self):
        value = self.cleaned_data["default_params"]
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError('Write a JSON object, e.g. {"temperature": 0.2}.')
        return value


class AliasForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="e.g. fast, smart, cheap.")
    model = forms.ModelChoiceField(queryset=ProviderModel.objects.none(), empty_label=None)
    fallbacks = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Models or aliases to try, in order, when it fails before answering. "
        "Comma-separated.",
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = (
            ProviderModel.objects.filter(workspace=workspace)
            .select_related("provider")
            .order_by("name")
        )
        self.fields["model"].label_from_instance = lambda m: f"{m.name} ({m.provider.name})"

    def clean_fallbacks(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data["fallbacks"].split(",") if n.strip()]


class AliasEditForm(AliasForm):
    def __init__(self, *args, alias: ModelAlias, **kwargs):
        super().__init__(*args, workspace=alias.workspace, **kwargs)
        del self.fields["name"]


class FeedbackForm(forms.Form):
    score = forms.TypedChoiceField(choices=[("1", "Good"), ("-1", "Bad")], coerce=int)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


class AnalyticsFilterForm(forms.Form):
    """The analytics page's narrowing: choices are what the range has seen."""

    RANGES = {"24h": "24 hours", "7d": "7 days", "30d": "30 days", "90d": "90 days"}

    range = forms.ChoiceField(required=False, choices=list(RANGES.items()))
    prompt = forms.ChoiceField(required=False, label="Prompt")
    model = forms.ChoiceField(required=False, label="Model")
    source = forms.ChoiceField(
        required=False, label="Source", choices=ANY + Completion.Source.choices
    )

    def __init__(self, *args, prompts: list[str], models: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompt"].choices = [("", "All prompts")] + [(p, p) for p in prompts if p]
        self.fields["model"].choices = [("", "All models")] + [(m, m) for m in models if m]
        self.fields["source"].choices = [("", "All sources"), *Completion.Source.choices]

    def value_of(self, name: str) -> str:
        """The cleaned value, or "" when unset or not a choice (the page then shows all)."""
        if self.is_bound:
            self.is_valid()  # cleaned_data keeps the fields that are valid
        value = getattr(self, "cleaned_data", {}).get(name) or ""
        return value or ("7d" if name == "range" else "")
