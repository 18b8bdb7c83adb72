"""The registry in the operators' admin site.

Operators look things up and fix the odd row here; the product's own pages and services are
where prompts are written. So: saved versions and label history are read-only (versions are
immutable, and the history is an audit trail), and nothing that needs a service's side effects
(numbering, cache invalidation, aliases) is added from here.
"""

from django.contrib import admin
from django.db.models import Count

from . import cache
from .models import (
    Comment,
    Draft,
    Folder,
    Label,
    LabelMove,
    Prompt,
    PromptAlias,
    PromptVersion,
    Tag,
)


class InvalidatesServingCache(admin.ModelAdmin):
    """Restrictions and tags travel with served answers: drop the workspace's cached ones."""

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        cache.invalidate(form.instance.workspace_id)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed: for rows that are a record of what happened."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Folder)
class FolderAdmin(InvalidatesServingCache):
    list_display = ["path", "workspace", "view_role", "edit_role", "created_by", "created_at"]
    list_filter = ["workspace", "view_role", "edit_role"]
    search_fields = ["path", "workspace__name", "workspace__slug"]
    list_select_related = ["workspace", "created_by"]
    # path and parent must agree with the prompts' names: services.folder_rename/move do that.
    readonly_fields = ["workspace", "parent", "name", "path", "created_by", "created_at"]
    fields = [*readonly_fields, "view_role", "edit_role"]

    def has_add_permission(self, request) -> bool:
        return False  # created in the workspace (or implicitly by a prompt's name)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "prompt_count"]
    list_filter = ["workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_prompts=Count("prompts"))

    @admin.display(description="Prompts", ordering="_prompts")
    def prompt_count(self, obj: Tag) -> int:
        return obj._prompts


class LabelInline(admin.TabularInline):
    model = Label
    extra = 0
    fields = ["name", "version", "split_version", "split_percent", "updated_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # labels move through services.label_move (audited, cache invalidated)


class PromptAliasInline(admin.TabularInline):
    model = PromptAlias
    extra = 0
    fields = ["name", "created_at"]
    readonly_fields = ["name", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Prompt)
class PromptAdmin(InvalidatesServingCache):
    list_display = [
        "name",
        "workspace",
        "kind",
        "type",
        "latest_version_number",
        "updated_at",
        "deleted_at",
    ]
    list_filter = ["workspace", "kind", "type", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "description", "workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    date_hierarchy = "updated_at"
    readonly_fields = [
        "workspace",
        "folder",
        "name",
        "kind",
        "type",
        "latest_version_number",
        "search_text",
        "created_by",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    fields = [*readonly_fields, "tag_names", "description", "view_role", "edit_role"]
    inlines = [LabelInline, PromptAliasInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [*self.readonly_fields, "tag_names"]

    @admin.display(description="Tags")
    def tag_names(self, obj: Prompt) -> str:
        return ", ".join(tag.name for tag in obj.tags.all()) or "—"

    def has_add_permission(self, request) -> bool:
        return False  # a prompt starts with a version: create it in the workspace or the API


@admin.register(PromptAlias)
class PromptAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "prompt", "workspace", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["name", "prompt__name"]
    list_select_related = ["prompt", "workspace"]
    readonly_fields = ["workspace", "prompt", "name", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # aliases appear when prompts are renamed or moved


@admin.register(PromptVersion)
class PromptVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "prompt",
        "number",
        "template_format",
        "author",
        "commit_message",
        "created_at",
        "deleted_at",
    ]
    list_filter = [
        "template_format",
        "prompt__workspace",
        ("deleted_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["prompt__name", "commit_message", "author__email"]
    list_select_related = ["prompt", "author"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "prompt",
        "number",
        "template_format",
        "content",
        "config",
        "commit_message",
        "author",
        "author_api_key",
        "restored_from",
        "created_at",
        "deleted_at",
    ]

    def get_queryset(self, request):
        # Deleted versions too: operators see everything the audit trail refers to.
        return PromptVersion.all_objects.select_related("prompt", "author")


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ["name", "prompt", "version", "split_version", "split_percent", "updated_at"]
    list_filter = ["name", "prompt__workspace"]
    search_fields = ["name", "prompt__name"]
    list_select_related = ["prompt", "version__prompt", "split_version__prompt"]
    readonly_fields = ["prompt", "name", "version", "split_version", "split_percent", "updated_at"]


@admin.register(LabelMove)
class LabelMoveAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "prompt",
        "label_name",
        "action",
        "from_number",
        "to_number",
        "split_number",
        "split_percent",
        "actor_label",
    ]
    list_filter = ["action", "label_name", "prompt__workspace"]
    search_fields = ["prompt__name", "label_name", "actor_label"]
    list_select_related = ["prompt"]
    date_hierarchy = "at"
    readonly_fields = list_display


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["version", "author", "created_at", "edited_at"]
    list_filter = ["version__prompt__workspace"]
    search_fields = ["body", "author__email", "version__prompt__name"]
    list_select_related = ["version__prompt", "author"]
    readonly_fields = ["version", "author", "created_at", "edited_at"]
    fields = [*readonly_fields, "body"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    list_display = ["prompt", "user", "base_number", "updated_at"]
    list_filter = ["prompt__workspace"]
    search_fields = ["prompt__name", "user__email"]
    list_select_related = ["prompt", "user"]
    readonly_fields = ["prompt", "user", "base_number", "data", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False
