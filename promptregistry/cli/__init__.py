"""`promptops`: keep a directory of prompt YAML files (a git repository) in sync with PromptOps.

    promptops pull [DIR] [--folder PATH] [--prune]
    promptops push [DIR] [--label LABEL] [--message TEXT] [--dry-run]

It talks to the HTTP API only (never imports Django), with a workspace API key:
PROMPTOPS_HOST (default http://127.0.0.1:8000), PROMPTOPS_API_KEY=sk-... or
PROMPTOPS_PUBLIC_KEY + PROMPTOPS_SECRET_KEY; --host and --api-key override them.

Pull and push both start from `GET /api/v1/export` (the server's newest version of every
prompt, in the file format), so push knows what changed without a request per prompt, and a
pull followed by a push writes nothing. Exit codes: 0 done, 1 something failed (the message
names the file), 2 bad usage.
"""

from .client import TIMEOUT, Api, read_archive
from .entry import DEFAULT_HOST, DEFAULT_MESSAGE, build_parser, main
from .errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ApiFailure, CliError, UsageError
from .files import LocalFiles, load_directory
from .pull_command import pull
from .push_command import Step, plan_push, push

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MESSAGE",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "TIMEOUT",
    "Api",
    "ApiFailure",
    "CliError",
    "LocalFiles",
    "Step",
    "UsageError",
    "build_parser",
    "load_directory",
    "main",
    "plan_push",
    "pull",
    "push",
    "read_archive",
]
