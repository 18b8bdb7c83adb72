"""TEMPORARY: replaced by the engineer building these views."""

from django.http import HttpResponse


def draft_discard(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def draft_save(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_edit(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def prompt_preview(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError

