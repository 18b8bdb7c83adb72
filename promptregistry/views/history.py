"""TEMPORARY: replaced by the engineer building these views."""

from django.http import HttpResponse


def comment_create(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def comment_delete(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def comment_edit(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def version_detail(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def version_diff(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def version_list(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def version_restore(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError

