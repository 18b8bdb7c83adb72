"""TEMPORARY: replaced by the engineer building these views."""

from django.http import HttpResponse


def export_zip(request, *args, **kwargs) -> HttpResponse:
    raise NotImplementedError

