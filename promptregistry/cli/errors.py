"""What can go wrong, and the exit code each failure ends the command with."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad invocation or configuration: exit 2."""


class CliError(Exception):
    """The command could not do its job: exit 1."""


class ApiFailure(CliError):
    def __init__(self, status: int, message: str, code: str = "", field: str | None = None):
        self.status = status
        self.code = code
        self.field = field
        super().__init__(message)
