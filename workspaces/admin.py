from django.contrib import admin

from accounts.admin import UserAdmin
from accounts.models import User

from .models import ApiKey, AuditEvent, Invitation, Membership, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_members=Count("memberships"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj: Workspace) -> int:
        return obj._members

    def get_deleted_objects(self, objs, request):
        # Everything in a workspace goes with it. Records whose own admin is read-only (audit
        # events, saved versions, label history) would otherwise block deleting any workspace
        # with a history; deleting the workspace is the one way they may go.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.clear()
        return deleted, counts, perms_needed, protected


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__email", "user__name", "workspace__name", "workspace__slug"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "status", "invited_by", "sent_at", "expires_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["email", "workspace__name"]
    list_select_related = ["workspace", "invited_by"]
    # The token hash is never shown; the link exists only in the email.
    exclude = ["token_hash"]
    readonly_fields = [
        "workspace",
        "email",
        "role",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # invitations are sent from the workspace page, which emails the link


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "workspace",
        "secret_prefix",
        "role",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["role", "workspace"]
    search_fields = ["name", "public_key", "secret_prefix", "workspace__name"]
    list_select_related = ["workspace", "created_by"]
    exclude = ["secret_hash"]
    readonly_fields = [
        "workspace",
        "public_key",
        "secret_prefix",
        "created_by",
        "issued_by_operator",
        "created_at",
        "last_used_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # created in the workspace (shown once) or with manage.py create_api_key


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "workspace", "actor_label", "action", "target_label"]
    list_filter = ["action", "workspace"]
    search_fields = ["actor_label", "action", "target_label"]
    date_hierarchy = "at"
    list_select_related = ["workspace"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["workspace", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["workspace"]


class UserWithMembershipsAdmin(UserAdmin):
    """The accounts admin, plus the workspaces each user belongs to (workspaces -> accounts)."""

    inlines = [UserMembershipInline]


admin.site.unregister(User)
admin.site.register(User, UserWithMembershipsAdmin)
