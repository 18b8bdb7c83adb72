"""The gateway's state: providers (with encrypted keys), their models and prices, workspace
model aliases, the workspace's gateway settings, one Completion row per model call, feedback.

Writes go through gateway/services/ (access check, validation, audit); the completion service
(gateway/completion/) writes Completion rows. The pages (providers, logs, analytics) read these.
"""

import uuid
from decimal import Decimal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from promptregistry.models import Prompt
from workspaces.models import ApiKey, Workspace

# Names clients send as `model`: what OpenAI model ids look like, plus "/" and ":" (vLLM and
# Ollama names such as "meta-llama/Llama-3-8B" or "llama3:8b").
MODEL_NAME_MAX = 200


def _fernet() -> MultiFernet:
    """PROMPTOPS_ENCRYPTION_KEY may list several keys, comma-separated: the first encrypts,
    every one decrypts (rotate by putting the new key first, then re-saving the keys)."""
    keys = [k.strip() for k in settings.PROMPTOPS_ENCRYPTION_KEY.split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys])


def api_key_hint(secret: str) -> str:
    """What the UI shows of a saved key: "sk-…abcd" (never enough to use it)."""
    if not secret:
        return ""
    prefix = secret[:3] if len(secret) >= 12 else ""
    return f"{prefix}…{secret[-4:]}" if len(secret) >= 8 else "…"


class ProviderKeyUnreadable(Exception):
    """The stored key can't be decrypted (PROMPTOPS_ENCRYPTION_KEY changed): enter it again."""


class Provider(models.Model):
    class Kind(models.TextChoices):
        OPENAI = "openai", "OpenAI"
        OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible server"
        ANTHROPIC = "anthropic", "Anthropic"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="providers")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    base_url = models.CharField(
        max_length=500,
        blank=True,
        help_text="Empty: the provider's own API. Required for an OpenAI-compatible server, "
        "e.g. http://vllm.internal:8000/v1.",
    )
    # Write-only: set with set_api_key(), read only by the completion service (api_key()).
    # Never in a form, a page, the admin, an API answer or a log line.
    encrypted_api_key = models.TextField(blank=True, editable=False)
    api_key_hint = models.CharField(max_length=20, blank=True, editable=False)
    connect_timeout_seconds = models.FloatField(default=10.0)
    total_timeout_seconds = models.FloatField(
        default=120.0, help_text="The whole call, streamed answer included."
    )
    max_retries = models.PositiveSmallIntegerField(
        default=2, help_text="Retries on rate limits, server errors and lost connections."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="provider_unique_name"),
            models.CheckConstraint(
                condition=Q(connect_timeout_seconds__gt=0, total_timeout_seconds__gt=0),
                name="provider_timeouts_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # the encrypted key stays out of tracebacks and debug output
        return f"<Provider {self.pk} {self.name!r} ({self.kind})>"

    def set_api_key(self, secret: str) -> None:
        """Encrypt and keep the key; empty clears it. The caller saves."""
        secret = (secret or "").strip()
        self.encrypted_api_key = _fernet().encrypt(secret.encode()).decode() if secret else ""
        self.api_key_hint = api_key_hint(secret)

    def api_key(self) -> str:
        """The plaintext key, for the provider client only. "" when none is set."""
        if not self.encrypted_api_key:
            return ""
        try:
            return _fernet().decrypt(self.encrypted_api_key.encode()).decode()
        except InvalidToken as exc:
            raise ProviderKeyUnreadable(
                f"The API key of provider “{self.name}” can't be decrypted (the encryption key "
                "changed?): enter it again."
            ) from exc

    @property
    def has_api_key(self) -> bool:
        return bool(self.encrypted_api_key)

    @property
    def needs_base_url(self) -> bool:
        return self.kind == self.Kind.OPENAI_COMPATIBLE

    def clean(self) -> None:
        if self.needs_base_url and not self.base_url:
            raise ValidationError({"base_url": "An OpenAI-compatible server needs its base URL."})
        if self.total_timeout_seconds < self.connect_timeout_seconds:
            raise ValidationError(
                {"total_timeout_seconds": "The total timeout can't be shorter than connecting."}
            )


class ProviderModel(models.Model):
    """A model clients may name: `name` is what they send, `upstream_name` the provider's id."""

    class PriceSource(models.TextChoices):
        GENAI_PRICES = "genai-prices", "genai-prices"
        MANUAL = "manual", "Entered by hand"
        NONE = "", "Unknown"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="models")
    name = models.CharField(max_length=MODEL_NAME_MAX)
    upstream_name = models.CharField(max_length=MODEL_NAME_MAX)
    display_name = models.CharField(max_length=200, blank=True)
    context_window = models.PositiveIntegerField(null=True, blank=True)
    default_params = models.JSONField(
        default=dict,
        blank=True,
        help_text="Sent with every call unless the prompt's config or the call says otherwise, "
        'e.g. {"temperature": 0.2, "max_tokens": 512}.',
    )
    input_price_per_million = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True
    )
    output_price_per_million = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True
    )
    price_source = models.CharField(
        max_length=20, choices=PriceSource.choices, blank=True, default=PriceSource.NONE
    )
    # Empty: the provider's timeouts.
    connect_timeout_seconds = models.FloatField(null=True, blank=True)
    total_timeout_seconds = models.FloatField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "model"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="model_unique_name"),
            models.CheckConstraint(
                condition=Q(input_price_per_million__isnull=True)
                | Q(input_price_per_million__gte=0),
                name="model_input_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(output_price_per_million__isnull=True)
                | Q(output_price_per_million__gte=0),
                name="model_output_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def connect_timeout(self) -> float:
        return self.connect_timeout_seconds or self.provider.connect_timeout_seconds

    @property
    def total_timeout(self) -> float:
        return self.total_timeout_seconds or self.provider.total_timeout_seconds

    def cost(self, input_tokens: int | None, output_tokens: int | None) -> Decimal | None:
        """What a call cost at this model's prices; None when a price or a count is unknown."""
        if self.input_price_per_million is None or self.output_price_per_million is None:
            return None
        if input_tokens is None or output_tokens is None:
            return None
        total = (
            self.input_price_per_million * input_tokens
            + self.output_price_per_million * output_tokens
        ) / Decimal(1_000_000)
        return total.quantize(Decimal("0.00000001"))


class ModelAlias(models.Model):
    """A workspace-wide name for a model ("fast", "smart"), usable wherever a model is named.

    An alias can't share a name with a model of the workspace (services check both ways)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=MODEL_NAME_MAX)
    model = models.ForeignKey(ProviderModel, on_delete=models.CASCADE, related_name="aliases")
    # Model or alias names tried in order when the model fails before its first streamed byte.
    fallbacks = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "model aliases"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="model_alias_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.model.name}"


class GatewaySettings(models.Model):
    """Per-workspace gateway settings; a workspace without a row has the defaults."""

    class StoreContent(models.TextChoices):
        FULL = "full", "In full"
        REDACTED = "redacted", "Redacted (emails, phone and card numbers, secrets)"
        NONE = "none", "Not at all"

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="gateway_settings"
    )
    store_content = models.CharField(
        max_length=10,
        choices=StoreContent.choices,
        default=StoreContent.FULL,
        help_text="What the request log keeps of each call's variables, input and output.",
    )
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Delete completions older than this. Empty: keep them."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "gateway settings"
        verbose_name_plural = "gateway settings"

    def __str__(self) -> str:
        return f"Gateway settings of {self.workspace}"

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> "GatewaySettings":
        """The saved settings, or the defaults (unsaved) when the workspace never changed them."""
        return cls.objects.filter(workspace=workspace).first() or cls(workspace=workspace)


class Completion(models.Model):
    """One model call, whatever its outcome: written once, after the response was sent.

    Content fields (variables, input_messages, output_text) are stored as the workspace's
    GatewaySettings.store_content says (gateway/redaction.py). Names (prompt, provider, model)
    are kept as text too so the log still reads after those objects are renamed or deleted.
    """

    class Source(models.TextChoices):
        API = "api", "Completions API"
        OPENAI = "openai", "OpenAI-compatible API"
        PLAYGROUND = "playground", "Playground"
        EVALUATION = "evaluation", "Evaluation"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    id = models.BigAutoField(primary_key=True)  # keyset pagination of the log: newest first
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)  # when the request arrived
    source = models.CharField(max_length=12, choices=Source.choices)
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The prompt served: prompt_version is the version actually sent (the A/B arm when the
    # label splits traffic; ab_split says it did).
    prompt = models.ForeignKey(
        Prompt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    prompt_name = models.CharField(max_length=255, blank=True)
    prompt_version = models.PositiveIntegerField(null=True, blank=True)
    prompt_label = models.CharField(max_length=36, blank=True)
    ab_split = models.BooleanField(default=False)
    provider = models.ForeignKey(
        Provider, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_name = models.CharField(max_length=100, blank=True)
    model = models.ForeignKey(
        ProviderModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # model_name: the model that answered; requested_model: the name (or alias) the caller sent.
    model_name = models.CharField(max_length=MODEL_NAME_MAX, blank=True)
    requested_model = models.CharField(max_length=MODEL_NAME_MAX, blank=True)
    fallback_model = models.CharField(
        max_length=MODEL_NAME_MAX, blank=True, help_text="Set when a fallback answered."
    )
    params = models.JSONField(default=dict, blank=True)  # temperature, max_tokens... as sent
    variables = models.JSONField(default=dict, blank=True)
    input_messages = models.JSONField(default=list, blank=True)
    output_text = models.TextField(blank=True)
    # The tools the model called: [{"id", "name", "arguments" (JSON text)}], OpenAI's shape.
    tool_calls = models.JSONField(default=list, blank=True)
    content_stored = models.CharField(
        max_length=10, choices=GatewaySettings.StoreContent.choices, default="full"
    )
    finish_reason = models.CharField(max_length=40, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    tokens_estimated = models.BooleanField(
        default=False, help_text="The provider reported no usage: counted here instead."
    )
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    # Timing, in ms from the request's arrival: queue (until the first upstream request was
    # sent), first token, and the whole call (the last byte).
    queue_ms = models.PositiveIntegerField(null=True, blank=True)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices)
    error_type = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    retries = models.PositiveSmallIntegerField(default=0)
    stream = models.BooleanField(default=False)
    # Caller metadata: OpenAI's `user` is user_ref; the rest from `metadata`.
    metadata = models.JSONField(default=dict, blank=True)
    user_ref = models.CharField(max_length=255, blank=True)
    session_id = models.CharField(max_length=255, blank=True)
    trace_id = models.CharField(max_length=255, blank=True)
    tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["workspace", "-id"], name="completion_ws_newest"),
            models.Index(fields=["workspace", "created_at"], name="completion_ws_created"),
            models.Index(
                fields=["workspace", "prompt_name", "created_at"], name="completion_ws_prompt"
            ),
            models.Index(
                fields=["workspace", "model_name", "created_at"], name="completion_ws_model"
            ),
            models.Index(fields=["workspace", "status", "created_at"], name="completion_ws_status"),
        ]

    def __str__(self) -> str:
        return f"Completion {self.public_id}"

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None or self.output_tokens is None:
            return None
        return self.input_tokens + self.output_tokens


class Feedback(models.Model):
    """A score on one completion: -1..1 (thumbs down/up is -1/1; 0..1 scales fit too)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    completion = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="feedback")
    score = models.FloatField()
    comment = models.TextField(max_length=10_000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=-1, score__lte=1), name="feedback_score_range"
            )
        ]
        indexes = [models.Index(fields=["workspace", "created_at"], name="feedback_ws_created")]

    def __str__(self) -> str:
        return f"Feedback {self.score:+g} on {self.completion_id}"


# The hourly rollups the analytics page and /metrics read (defined beside their queries).
from .analytics.models import CompletionRollup, RollupProgress  # noqa: E402, F401
