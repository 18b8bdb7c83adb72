"""TEMPORARY: replaced by the engineer building these views."""

from django.http import HttpResponse


def folder_access(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def folder_create(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def folder_delete(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def folder_detail(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def folder_move(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def folder_rename(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError

