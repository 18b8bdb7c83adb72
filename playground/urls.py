from django.urls import path

from .views import pages, stream

app_name = "playground"

P = "w/<slug:slug>/playground/"
S = P + "<int:session_id>/"

urlpatterns = [
    # /w/<slug>/playground/: a new set-up (empty, ?prompt=&version=, ?completion=)
    path(P, pages.playground, name="playground"),
    path(P + "try/", pages.try_text, name="try"),
    path(P + "run/", pages.run_create, name="run"),
    path(P + "save-version/", pages.version_save, name="save-version"),
    path(P + "variables/", pages.variables_form, name="variables"),
    path(P + "run-dataset/", pages.dataset_run, name="run-dataset"),
    # /w/<slug>/playground/<session_id>/: a saved session, its runs and cells
    path(S, pages.session_page, name="session"),
    path(S + "run/", pages.run_create, name="session-run"),
    path(S + "save-version/", pages.version_save, name="session-save-version"),
    path(S + "run-dataset/", pages.dataset_run, name="session-run-dataset"),
    path(S + "diff/", pages.output_diff, name="diff"),
    path(S + "cells/<int:cell_id>/stream/", stream.cell_stream, name="cell-stream"),
    path(S + "cells/<int:cell_id>/continue/", pages.cell_continue, name="cell-continue"),
    path(
        S + "cells/<int:cell_id>/add-to-dataset/",
        pages.cell_add_to_dataset,
        name="cell-add-to-dataset",
    ),
]
