from django.http import HttpRequest


def cursor(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def is_htmx(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request
