"""TEMPORARY: replaced by the engineer building these views."""

from django.http import HttpResponse


def alias_delete(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_access(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_create(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_delete(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_detail(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_list(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_settings(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def snippet_list(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError

