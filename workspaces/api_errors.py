"""The native API's error shape: {"error": {"code", "message", "field"?}} with the right status."""

from django.http import HttpRequest, JsonResponse


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def error_response(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    body: dict = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JsonResponse({"error": body}, status=status)


def api_error_handler(request: HttpRequest, exc: ApiError) -> JsonResponse:
    return error_response(exc.status, exc.code, exc.message, exc.field)
