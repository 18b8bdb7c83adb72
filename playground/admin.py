from django.contrib import admin

from .models import Cell, Run, Session


class RunInline(admin.TabularInline):
    model = Run
    extra = 0
    fields = ("number", "kind", "created_by", "created_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "workspace", "prompt", "created_by", "updated_at")
    list_filter = ("workspace",)
    search_fields = ("title", "prompt__name")
    raw_id_fields = ("workspace", "created_by", "prompt")
    inlines = [RunInline]


class CellInline(admin.TabularInline):
    model = Cell
    extra = 0
    fields = ("column", "row", "model_name", "status", "latency_ms", "output_tokens", "cost")
    readonly_fields = fields


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("__str__", "session", "kind", "created_at")
    raw_id_fields = ("session", "created_by")
    inlines = [CellInline]
