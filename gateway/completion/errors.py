"""What goes wrong in a completion, said once and shaped by each API.

A GatewayError carries an HTTP status, a stable code and a sentence for the caller; the
OpenAI-compatible views turn it into OpenAI's error JSON, the native API into its own shape.
Provider failures are GatewayErrors too, with the provider's message (secrets removed).
"""

from dataclasses import dataclass

# OpenAI's `type` for each status its API answers with.
OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "upstream_error",
    503: "server_error",
    504: "timeout",
}


@dataclass
class GatewayError(Exception):
    status: int
    code: str
    message: str
    param: str | None = None
    retry_after: float | None = None  # passed on to the caller with a 429

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def openai_type(self) -> str:
        return OPENAI_TYPES.get(self.status, "server_error")

    def openai_body(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.openai_type,
                "param": self.param,
                "code": self.code,
            }
        }

    def native_body(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.param:
            body["field"] = self.param
        return {"error": body}


def invalid(message: str, param: str | None = None, code: str = "invalid_request") -> GatewayError:
    return GatewayError(400, code, message, param)


def prompt_not_found(message: str) -> GatewayError:
    return GatewayError(404, "prompt_not_found", message, "prompt_id")


def model_not_found(name: str) -> GatewayError:
    return GatewayError(
        404,
        "model_not_found",
        f"The model “{name}” does not exist in this workspace: GET /v1/models lists the models "
        "and aliases you can use.",
        "model",
    )
