from django.urls import path

from .views import compare, datasets, evaluators, grading, imports, logs, runs

app_name = "evaluations"

urlpatterns = [
    # /w/<slug>/datasets/: datasets, their items, uploads and exports
    path("w/<slug:slug>/datasets/", datasets.dataset_list, name="datasets"),
    path("w/<slug:slug>/datasets/<int:dataset_id>/", datasets.dataset_detail, name="dataset"),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/edit/",
        datasets.dataset_edit,
        name="dataset-edit",
    ),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/delete/",
        datasets.dataset_delete,
        name="dataset-delete",
    ),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/export/",
        datasets.dataset_export,
        name="dataset-export",
    ),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/items/new/",
        datasets.item_add,
        name="item-add",
    ),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/items/<int:item_id>/edit/",
        datasets.item_edit,
        name="item-edit",
    ),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/items/<int:item_id>/delete/",
        datasets.item_delete,
        name="item-delete",
    ),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/upload/",
        imports.dataset_upload,
        name="dataset-upload",
    ),
    path(
        "w/<slug:slug>/datasets/<int:dataset_id>/upload/<str:upload_token>/",
        imports.dataset_mapping,
        name="dataset-mapping",
    ),
    # /w/<slug>/logs/<id>/add-to-dataset/: the request log's action (gateway/extensions.py)
    path(
        "w/<slug:slug>/logs/<uuid:completion_id>/add-to-dataset/",
        logs.completion_add_to_dataset,
        name="completion-add-to-dataset",
    ),
    # /w/<slug>/evaluators/
    path("w/<slug:slug>/evaluators/", evaluators.evaluator_list, name="evaluators"),
    path(
        "w/<slug:slug>/evaluators/<int:evaluator_id>/delete/",
        evaluators.evaluator_delete,
        name="evaluator-delete",
    ),
    # /w/<slug>/runs/: evaluation runs, results, grading, comparison
    path("w/<slug:slug>/runs/", runs.run_list, name="runs"),
    path("w/<slug:slug>/runs/compare/", compare.run_compare, name="run-compare"),
    path("w/<slug:slug>/runs/gate/", runs.gate_settings, name="gate-settings"),
    path("w/<slug:slug>/runs/<int:run_id>/", runs.run_detail, name="run"),
    path("w/<slug:slug>/runs/<int:run_id>/cancel/", runs.run_cancel, name="run-cancel"),
    path("w/<slug:slug>/runs/<int:run_id>/export/", runs.run_export, name="run-export"),
    path("w/<slug:slug>/runs/<int:run_id>/grade/", grading.run_grade, name="run-grade"),
]
