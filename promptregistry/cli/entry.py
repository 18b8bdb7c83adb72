"""The console script's entry point: arguments, host and credentials, and exit codes."""

import argparse
import os
import sys
from typing import TextIO

import httpx

from . import eval_command
from .client import Api
from .errors import EXIT_FAILED, EXIT_USAGE, CliError, UsageError
from .pull_command import pull
from .push_command import push

DEFAULT_HOST = "http://127.0.0.1:8000"
DEFAULT_MESSAGE = "Pushed with promptops"


def _connection_options(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument(
        "--host", default=default, help=f"server address (PROMPTOPS_HOST, default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--api-key",
        default=default,
        help="workspace API key sk-... or pk-...:sk-... (PROMPTOPS_API_KEY, or "
        "PROMPTOPS_PUBLIC_KEY and PROMPTOPS_SECRET_KEY)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptops",
        description="Keep a directory of prompt YAML files in sync with a PromptOps workspace.",
    )
    _connection_options(parser, None)
    # Also accepted after the command (`promptops push --host ...`); SUPPRESS keeps a value
    # given before the command from being reset by the subcommand's default.
    shared = argparse.ArgumentParser(add_help=False)
    _connection_options(shared, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pull_parser = commands.add_parser(
        "pull",
        parents=[shared],
        help="write the workspace's prompts as YAML files",
        description="Write the newest version of each prompt as DIR/<name>.yaml. Files of "
        "prompts that are gone from the server stay unless --prune.",
    )
    pull_parser.add_argument("dir", nargs="?", default=".", metavar="DIR")
    pull_parser.add_argument("--folder", help="only this folder, e.g. support/billing")
    pull_parser.add_argument(
        "--prune", action="store_true", help="remove prompt files that aren't on the server"
    )
    pull_parser.set_defaults(handler=pull)

    push_parser = commands.add_parser(
        "push",
        parents=[shared],
        help="create prompts and versions from YAML files",
        description="Create missing prompts, and a new version of each prompt whose content, "
        "config or template format differs from the server's newest version. Push never "
        "deletes anything. Descriptions and tags are set when a prompt is created (change "
        "them later in the app); the labels listed in files are informational: use --label.",
    )
    push_parser.add_argument("dir", nargs="?", default=".", metavar="DIR")
    push_parser.add_argument(
        "--label", help="point this label at the pushed version of every file, e.g. staging"
    )
    push_parser.add_argument(
        "--message", "-m", default=DEFAULT_MESSAGE, help="commit message of new versions"
    )
    push_parser.add_argument(
        "--dry-run", action="store_true", help="show what would change, write nothing"
    )
    push_parser.set_defaults(handler=push)
    eval_command.add_parser(commands, parents=[shared])
    return parser


def _credentials(api_key: str | None) -> tuple[httpx.Auth | None, dict[str, str]]:
    env = os.environ
    key = api_key or ""
    if not key and env.get("PROMPTOPS_PUBLIC_KEY") and env.get("PROMPTOPS_SECRET_KEY"):
        key = f"{env['PROMPTOPS_PUBLIC_KEY']}:{env['PROMPTOPS_SECRET_KEY']}"
    key = (key or env.get("PROMPTOPS_API_KEY", "") or env.get("PROMPTOPS_SECRET_KEY", "")).strip()
    if not key:
        raise UsageError(
            "no API key: set PROMPTOPS_API_KEY=sk-... (or PROMPTOPS_PUBLIC_KEY and "
            "PROMPTOPS_SECRET_KEY), or pass --api-key"
        )
    if ":" in key:
        public, _, secret = key.partition(":")
        return httpx.BasicAuth(public, secret), {}
    return None, {"Authorization": f"Bearer {key}"}


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or bad usage (2), already explained by argparse
        return int(exit_.code or 0)
    api = None
    try:
        host = (args.host or os.environ.get("PROMPTOPS_HOST") or DEFAULT_HOST).strip()
        if not host.startswith(("http://", "https://")):
            raise UsageError(f"--host must start with http:// or https://, not “{host}”")
        auth, headers = _credentials(args.api_key)
        api = Api(host, auth, headers)
        return args.handler(args, api, out)
    except UsageError as error:
        print(f"promptops: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:  # a directory that can't be written, a full disk
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    finally:
        if api is not None:
            api.close()
