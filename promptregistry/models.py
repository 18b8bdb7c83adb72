"""The prompt registry's state: folders, prompts and snippets, immutable versions, labels.

A prompt's `name` is its full path ("support/triage"), unique per workspace, because that is
what clients fetch; `folder` always agrees with it (services keep both in step).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from workspaces.models import LABEL_PATTERN, ApiKey, Workspace
from workspaces.roles import Role

from . import lookups  # noqa: F401  (registers name__under / path__under)
from .names import MAX_NAME, validate_segment

LATEST = "latest"
PRODUCTION = "production"
# The largest version number the columns hold (PositiveIntegerField on every backend): posts
# and API bodies with larger numbers are refused before they reach the database.
MAX_VERSION_NUMBER = 2_147_483_647


def validate_label(value: str) -> None:
    if not LABEL_PATTERN.fullmatch(value):
        raise ValidationError("Labels are up to 36 lowercase letters, digits, “-”, “_” or “.”.")
    if value == LATEST:
        raise ValidationError("“latest” always means the newest version; it can't be set.")


class Restrictable(models.Model):
    """Per-object restriction: the lowest role that may see / edit this object and what's in it.

    Named users can be let in on top of the role through django-guardian grants
    (view_<model>, change_<model>). workspaces/access.py is the only reader of these fields.
    """

    view_role = models.CharField(
        max_length=10,
        choices=Role.choices,
        blank=True,
        help_text="Empty: everyone in the workspace. Otherwise only this role and above.",
    )
    edit_role = models.CharField(
        max_length=10,
        choices=Role.choices,
        blank=True,
        help_text="Empty: editors and above. Otherwise only this role and above.",
    )

    class Meta:
        abstract = True

    @property
    def is_restricted(self) -> bool:
        return bool(self.view_role or self.edit_role)


class Folder(Restrictable):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=MAX_NAME, validators=[validate_segment])
    # Denormalised full path ("support/billing"): prompt names and restrictions match on it.
    path = models.CharField(max_length=MAX_NAME, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "path"], name="folder_unique_path")
        ]

    def __str__(self) -> str:
        return self.path

    def get_absolute_url(self) -> str:
        return reverse("promptregistry:folder", args=[self.workspace.slug, self.path])

    def ancestor_paths(self) -> list[str]:
        parts = self.path.split("/")
        return ["/".join(parts[: i + 1]) for i in range(len(parts))]


class Tag(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique")]

    def __str__(self) -> str:
        return self.name


class PromptQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)


class Prompt(Restrictable):
    class Kind(models.TextChoices):
        PROMPT = "prompt", "Prompt"
        SNIPPET = "snippet", "Snippet"

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        CHAT = "chat", "Chat"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="prompts")
    folder = models.ForeignKey(
        Folder, on_delete=models.RESTRICT, null=True, blank=True, related_name="prompts"
    )
    name = models.CharField(max_length=255, help_text="Full path, e.g. support/triage.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PROMPT)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.CHAT)
    description = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="prompts")
    # Lower-cased name, description and newest content, so search is one indexed-free LIKE.
    search_text = models.TextField(blank=True, editable=False)
    # The newest version's number (0 before the first): allocated under a row lock.
    latest_version_number = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = PromptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=Q(deleted_at__isnull=True),
                name="prompt_unique_live_name",
            )
        ]
        indexes = [models.Index(fields=["workspace", "updated_at"], name="prompt_ws_updated")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("promptregistry:prompt", args=[self.workspace.slug, self.name])

    @property
    def leaf_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def folder_path(self) -> str:
        return self.name.rsplit("/", 1)[0] if "/" in self.name else ""

    @property
    def is_snippet(self) -> bool:
        return self.kind == self.Kind.SNIPPET


class PromptAlias(models.Model):
    """An old name that still resolves after a rename or move, so running apps don't break."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "prompt aliases"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="alias_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.prompt.name}"


class LiveVersionManager(models.Manager):
    """Versions not deleted: the default manager, so every read (lists, history, diff, serving,
    labels, export, snippet resolution, prompt.versions) hides a deleted version."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class PromptVersion(models.Model):
    """One saved state of a prompt. Immutable: its content never changes and its row is never
    removed; deleting it (services.version_delete, admins) only sets `deleted_at`, which hides
    it everywhere (`objects` shows live versions only; `all_objects` all of them, for the
    audit trail and the admin site). Its number is never given to another version.
    """

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    template_format = models.CharField(max_length=10, default="mustache")
    # {"text": "..."} for text prompts; {"messages": [{"role", "content"} | {"type":
    # "placeholder", "name"}]} for chat prompts.
    content = models.JSONField()
    config = models.JSONField(default=dict, blank=True)
    commit_message = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    all_objects = models.Manager()
    objects = LiveVersionManager()

    class Meta:
        default_manager_name = "objects"
        ordering = ["prompt", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.prompt.name} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Prompt versions are immutable; save a new version instead.")
        super().save(*args, **kwargs)

    @property
    def author_label(self) -> str:
        if self.author_id:
            return self.author.display_name
        if self.author_api_key_id:
            return f"API key {self.author_api_key.name}"
        return "system"

    @property
    def messages(self) -> list[dict]:
        return list(self.content.get("messages", []))

    @property
    def text(self) -> str:
        return self.content.get("text", "")


class Label(models.Model):
    """A release label pointing at one version, optionally splitting traffic with a second."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=36, validators=[validate_label])
    version = models.ForeignKey(PromptVersion, on_delete=models.RESTRICT, related_name="labels")
    # A/B split: `split_percent` of traffic goes to `split_version`, the rest to `version`.
    split_version = models.ForeignKey(
        PromptVersion, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    split_percent = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "name"], name="label_unique_per_prompt"),
            models.CheckConstraint(
                condition=Q(split_percent__gte=0, split_percent__lte=100),
                name="label_split_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prompt.name}@{self.name}"

    @property
    def has_split(self) -> bool:
        return self.split_version_id is not None and 0 < self.split_percent < 100


class LabelMove(models.Model):
    """History of a label: every move, split, promote, abort and removal."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="label_moves")
    label_name = models.CharField(max_length=36)
    from_number = models.PositiveIntegerField(null=True, blank=True)
    to_number = models.PositiveIntegerField(null=True, blank=True)
    split_number = models.PositiveIntegerField(null=True, blank=True)
    split_percent = models.PositiveSmallIntegerField(default=0)
    action = models.CharField(max_length=20, default="move")
    actor_label = models.CharField(max_length=255)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.label_name}: {self.from_number} → {self.to_number}"


class Comment(models.Model):
    version = models.ForeignKey(PromptVersion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on {self.version}"


class Draft(models.Model):
    """What a person typed in the editor and hasn't saved yet; one per person and prompt."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    base_number = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prompt", "user"], name="draft_one_per_user")
        ]

    def __str__(self) -> str:
        return f"Draft of {self.prompt} by {self.user}"
