import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from .roles import Action, Role, lower_role, role_allows

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1–50 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
)
# Release label names, as Langfuse clients expect them.
LABEL_PATTERN = re.compile(r"^[a-z0-9_\-.]{1,36}$")
RESERVED_SLUGS = {"new", "admin", "api", "static", "accounts", "settings", "w"}


def hash_token(token: str) -> str:
    """Tokens and secrets are long random strings, so one SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True, validators=[SLUG_VALIDATOR])
    protected_labels = models.JSONField(
        default=list,
        blank=True,
        help_text="Release labels only admins and owners may move.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self._state.adding and not self.protected_labels:
            self.protected_labels = ["production"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("workspaces:overview", args=[self.slug])

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": "This address is reserved; choose another."})


class MembershipQuerySet(models.QuerySet):
    def owners(self):
        return self.filter(role=Role.OWNER)


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["workspace", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    def allows(self, action: Action) -> bool:
        return role_allows(self.role, action)


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An email invitation. The link's token is shown once (in the email); only its hash is kept."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.workspace}"

    def new_token(self) -> str:
        """Give the invitation a fresh token (first send and every resend) and a fresh expiry."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.sent_at = timezone.now()
        self.expires_at = self.sent_at + timedelta(days=settings.INVITATION_VALID_DAYS)
        return token

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"


class ApiKey(models.Model):
    """A workspace key pair: pk-... identifies, sk-... authenticates (stored as a hash only)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(
        max_length=10,
        choices=Role.choices,
        default=Role.EDITOR,
        help_text="The most this key may do. It never exceeds its creator's current role, and "
        "can only read once its creator has left the workspace or their account is deleted.",
    )
    public_key = models.CharField(max_length=64, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    secret_prefix = models.CharField(max_length=16, editable=False)
    # Blank for keys an operator creates with manage.py create_api_key, and once the creator's
    # account is deleted: issued_by_operator tells the two apart (see effective_role).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_by_operator = models.BooleanField(
        default=False,
        editable=False,
        help_text="Created with manage.py create_api_key: no member's role caps it.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.secret_prefix}…)"

    def issue_secret(self) -> str:
        """Set a fresh key pair and return the secret; the caller shows it once."""
        self.public_key = "pk-" + secrets.token_hex(16)
        secret = "sk-" + secrets.token_urlsafe(32)
        self.secret_hash = hash_token(secret)
        self.secret_prefix = secret[:10]
        return secret

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def effective_role(self, creator_role: str | None) -> str:
        """What the key may do today, given its creator's current role in the workspace (None:
        not a member any more, or the account is gone). A key never does more than the person
        who made it may do, and only reads once nobody answers for it; operator keys keep
        their own role."""
        if self.issued_by_operator:
            return self.role
        return lower_role(self.role, creator_role or Role.VIEWER)

    def allows(self, action: Action) -> bool:
        return self.is_active and role_allows(self.role, action)


class AuditEventQuerySet(models.QuerySet):
    # Deleting a workspace still cascades: the deletion collector uses the base manager.
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One security-relevant change. Append-only: never updated, deleted only with its workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text so the log still reads correctly after the user or key is gone.
    actor_label = models.CharField(max_length=255)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "-at"], name="audit_workspace_at")]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_label}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")
