"""TEMPORARY: replaced by the engineer building these views."""

from django.http import HttpResponse


def label_abort(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def label_list(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def label_move(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def label_promote(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def label_remove(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError


def label_split(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError

