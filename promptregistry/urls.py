from django.urls import path

from .views import editor, export, folders, history, labels, prompts

app_name = "promptregistry"

# A prompt's name is a path ("support/triage"), so its pages put their action after a "-"
# segment, which no name segment can be (names.py refuses it).
P = "w/<slug:slug>/p/<path:name>/-/"

urlpatterns = [
    # /w/<slug>/prompts/
    path("w/<slug:slug>/prompts/", prompts.prompt_list, name="prompts"),
    path("w/<slug:slug>/prompts/new/", prompts.prompt_create, name="prompt-create"),
    path("w/<slug:slug>/snippets/", prompts.snippet_list, name="snippets"),
    path("w/<slug:slug>/prompts/export/", export.export_zip, name="export"),
    # /w/<slug>/folders/
    path("w/<slug:slug>/folders/new/", folders.folder_create, name="folder-create"),
    path(
        "w/<slug:slug>/folders/<path:path>/-/rename/", folders.folder_rename, name="folder-rename"
    ),
    path("w/<slug:slug>/folders/<path:path>/-/move/", folders.folder_move, name="folder-move"),
    path(
        "w/<slug:slug>/folders/<path:path>/-/delete/", folders.folder_delete, name="folder-delete"
    ),
    path(
        "w/<slug:slug>/folders/<path:path>/-/access/", folders.folder_access, name="folder-access"
    ),
    path("w/<slug:slug>/folders/<path:path>/", folders.folder_detail, name="folder"),
    # /w/<slug>/p/<name>/-/...: one prompt
    path(P + "settings/", prompts.prompt_settings, name="prompt-settings"),
    path(P + "delete/", prompts.prompt_delete, name="prompt-delete"),
    path(P + "access/", prompts.prompt_access, name="prompt-access"),
    path(P + "aliases/<int:alias_id>/delete/", prompts.alias_delete, name="alias-delete"),
    path(P + "edit/", editor.prompt_edit, name="prompt-edit"),
    path(P + "preview/", editor.prompt_preview, name="prompt-preview"),
    path(P + "draft/", editor.draft_save, name="draft-save"),
    path(P + "draft/discard/", editor.draft_discard, name="draft-discard"),
    path(P + "history/", history.version_list, name="history"),
    path(P + "diff/", history.version_diff, name="diff"),
    path(P + "versions/<int:number>/", history.version_detail, name="version"),
    path(P + "versions/<int:number>/restore/", history.version_restore, name="version-restore"),
    path(P + "versions/<int:number>/comments/", history.comment_create, name="comment-create"),
    path(P + "comments/<int:comment_id>/edit/", history.comment_edit, name="comment-edit"),
    path(P + "comments/<int:comment_id>/delete/", history.comment_delete, name="comment-delete"),
    path(P + "labels/", labels.label_list, name="labels"),
    path(P + "labels/move/", labels.label_move, name="label-move"),
    path(P + "labels/<str:label>/split/", labels.label_split, name="label-split"),
    path(P + "labels/<str:label>/promote/", labels.label_promote, name="label-promote"),
    path(P + "labels/<str:label>/abort/", labels.label_abort, name="label-abort"),
    path(P + "labels/<str:label>/remove/", labels.label_remove, name="label-remove"),
    path("w/<slug:slug>/p/<path:name>/", prompts.prompt_detail, name="prompt"),
]
