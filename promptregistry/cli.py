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

import argparse
import io
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TextIO
from urllib.parse import quote

import httpx

from .yaml_format import SUFFIX, PromptFile, PromptFileError, parse

DEFAULT_HOST = "http://127.0.0.1:8000"
DEFAULT_MESSAGE = "Pushed with promptops"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
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


# The HTTP API ------------------------------------------------------------------------------


class Api:
    """The few native API calls the command needs, with the error shape turned into messages."""

    def __init__(self, host: str, auth: httpx.Auth | None, headers: dict[str, str]):
        self.host = host.rstrip("/")
        self.http = httpx.Client(
            base_url=self.host + "/api/v1",
            auth=auth,
            headers={"User-Agent": "promptops-cli", **headers},
            timeout=TIMEOUT,
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise CliError(f"can't reach {self.host}: {error}") from error
        if response.status_code >= 400:
            raise self._failure(response)
        return response

    def _failure(self, response: httpx.Response) -> ApiFailure:
        status = response.status_code
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        if not isinstance(error, dict):
            error = {"message": str(error)}
        message = error.get("message") or response.reason_phrase or "request failed"
        if status == 401:
            message = f"the server refused the API key ({message})"
        elif status == 404 and response.request.url.path.endswith("/export"):
            message = f"not found: {message}"
        return ApiFailure(status, message, error.get("code", ""), error.get("field"))

    def export(self, folder: str = "") -> dict[str, bytes]:
        params = {"folder": folder} if folder else {}
        response = self.request("GET", "/export", params=params)
        return read_archive(response.content)

    def create_prompt(self, prompt: PromptFile, message: str, labels: list[str]) -> dict:
        body = {
            "name": prompt.name,
            "kind": prompt.kind,
            "type": prompt.type,
            "description": prompt.description,
            "tags": prompt.tags,
            **_version_body(prompt, message, labels),
        }
        return self.request("POST", "/prompts", json=body).json()

    def create_version(self, prompt: PromptFile, message: str, labels: list[str]) -> dict:
        body = _version_body(prompt, message, labels)
        return self.request("POST", f"/prompts/{_quoted(prompt.name)}/versions", json=body).json()

    def latest_version(self, name: str) -> dict:
        """The newest version (number, content, config, template format)."""
        path = f"/prompts/{_quoted(name)}/versions"
        items = self.request("GET", path, params={"limit": 1}).json().get("items") or []
        if not items:
            raise ApiFailure(404, f"“{name}” has no version yet")
        return items[0]

    def move_label(self, name: str, label: str, version: int) -> dict:
        path = f"/prompts/{_quoted(name)}/labels/{quote(label, safe='')}"
        return self.request("POST", path, json={"version": version}).json()


def _quoted(name: str) -> str:
    return quote(name, safe="/")


def _version_body(prompt: PromptFile, message: str, labels: list[str]) -> dict:
    return {
        "content": prompt.content,
        "template_format": prompt.template_format,
        "config": prompt.config,
        "commit_message": message,
        "labels": labels,
    }


def read_archive(data: bytes) -> dict[str, bytes]:
    """An export's files by relative path; refuses paths that would leave the directory."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise CliError("the server's export isn't a zip file") from error
    files = {}
    with archive:
        for entry in archive.infolist():
            if entry.is_dir():
                continue
            path = PurePosixPath(entry.filename)
            if path.is_absolute() or ".." in path.parts or "\\" in entry.filename:
                raise CliError(f"the export holds an unsafe path: {entry.filename}")
            files[str(path)] = archive.read(entry)
    return files


def _parse_archive(files: dict[str, bytes]) -> dict[str, PromptFile]:
    prompts = {}
    for path, data in files.items():
        try:
            prompt = parse(data.decode(), source=f"server:{path}")
        except (PromptFileError, UnicodeDecodeError) as error:
            raise CliError(f"the server's export is unreadable: {error}") from error
        prompts[prompt.name] = prompt
    return prompts


# Local files -------------------------------------------------------------------------------


def _prompt_paths(root: Path) -> list[Path]:
    """Every *.yaml under root, skipping hidden directories (.git, .venv, ...)."""
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory) / f for f in sorted(files) if f.endswith(SUFFIX))
    return sorted(found)


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


@dataclass
class LocalFiles:
    prompts: list[tuple[str, PromptFile]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_directory(root: Path) -> LocalFiles:
    """Parse every prompt file under root; a file's name must match where it lives."""
    loaded = LocalFiles()
    seen: dict[str, str] = {}
    for path in _prompt_paths(root):
        relative = _relative(root, path)
        try:
            prompt = parse(path.read_text(encoding="utf-8"), source=relative)
        except PromptFileError as error:
            loaded.errors.append(str(error))
            continue
        except (OSError, UnicodeDecodeError) as error:
            loaded.errors.append(f"{relative}: can't be read: {error}")
            continue
        expected = relative[: -len(SUFFIX)]
        if prompt.name != expected:
            loaded.errors.append(
                f"{relative}: name: says “{prompt.name}” but the file is {relative}; "
                f"rename the file to {prompt.name}{SUFFIX} or set name: {expected}"
            )
            continue
        if prompt.name in seen:
            loaded.errors.append(
                f"{relative}: name: “{prompt.name}” is also in {seen[prompt.name]}"
            )
            continue
        seen[prompt.name] = relative
        loaded.prompts.append((relative, prompt))
    return loaded


def _is_prompt_file(root: Path, path: Path) -> bool:
    """Only files that are prompt files where they stand may be pruned, nothing else."""
    try:
        prompt = parse(path.read_text(encoding="utf-8"), source=str(path))
    except (PromptFileError, OSError, UnicodeDecodeError):
        return False
    return prompt.path == _relative(root, path)


# Commands ----------------------------------------------------------------------------------


def pull(args: argparse.Namespace, api: Api, out: TextIO) -> int:
    root = Path(args.dir)
    folder = args.folder.strip().strip("/") if args.folder else ""
    files = api.export(folder)
    counts = {"new": 0, "changed": 0, "unchanged": 0, "removed": 0}
    for relative, data in sorted(files.items()):
        target = root / relative
        if target.is_file() and target.read_bytes() == data:
            counts["unchanged"] += 1
            continue
        counts["changed" if target.exists() else "new"] += 1
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"wrote {relative}", file=out)
    scope = root / folder if folder else root
    extra = [
        path
        for path in (_prompt_paths(scope) if scope.is_dir() else [])
        if _relative(root, path) not in files and _is_prompt_file(root, path)
    ]
    if args.prune:
        for path in extra:
            path.unlink()
            counts["removed"] += 1
            print(f"removed {_relative(root, path)}", file=out)
            _remove_empty_parents(path.parent, root)
    total = len(files)
    summary = (
        f"Pulled {total} prompt{'s' if total != 1 else ''} into {root}: {counts['new']} new, "
        f"{counts['changed']} changed, {counts['unchanged']} unchanged"
    )
    if args.prune:
        summary += f", {counts['removed']} removed"
    print(summary + ".", file=out)
    if extra and not args.prune:
        print(
            f"{len(extra)} local file{'s are' if len(extra) != 1 else ' is'} not on the server "
            "(kept; --prune removes them).",
            file=out,
        )
    return EXIT_OK


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and root in directory.parents and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


@dataclass
class Step:
    relative: str
    prompt: PromptFile
    action: str  # "create" | "update" | "unchanged"
    move_label: bool = False


def plan_push(
    local: list[tuple[str, PromptFile]], remote: dict[str, PromptFile], label: str | None
) -> tuple[list[Step], list[str]]:
    steps, errors = [], []
    for relative, prompt in local:
        server = remote.get(prompt.name)
        if server is None:
            steps.append(Step(relative, prompt, "create", move_label=bool(label)))
            continue
        if server.kind != prompt.kind:
            errors.append(
                f"{relative}: kind: the server has a {server.kind} called “{prompt.name}”; "
                "a prompt can't become a snippet or the other way round"
            )
            continue
        if server.type != prompt.type:
            errors.append(
                f"{relative}: type: “{prompt.name}” is a {server.type} prompt on the server; "
                "a prompt's type can't change after its first version"
            )
            continue
        if prompt.same_version(server):
            moving = bool(label) and label not in server.labels
            steps.append(Step(relative, prompt, "unchanged", move_label=moving))
        else:
            steps.append(Step(relative, prompt, "update", move_label=bool(label)))
    return steps, errors


def push(args: argparse.Namespace, api: Api, out: TextIO) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory")
    label = args.label.strip().lower() if args.label else None
    if label == "latest":
        raise UsageError("“latest” always follows the newest version; choose another label")
    local = load_directory(root)
    for error in local.errors:
        print(f"error: {error}", file=sys.stderr)
    if local.errors:
        print("Nothing was pushed: fix the files above first.", file=sys.stderr)
        return EXIT_FAILED
    remote = _parse_archive(api.export())
    steps, errors = plan_push(local.prompts, remote, label)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        print("Nothing was pushed: fix the files above first.", file=sys.stderr)
        return EXIT_FAILED
    if args.dry_run:
        return _report_dry_run(steps, label, out)
    return _execute(steps, api, args.message, label, out)


def _report_dry_run(steps: list[Step], label: str | None, out: TextIO) -> int:
    for step in steps:
        if step.action != "unchanged":
            print(f"would {step.action} {step.prompt.name}", file=out)
        elif step.move_label:
            print(f"would move {label} to the newest version of {step.prompt.name}", file=out)
    counts = _counts(steps)
    print(
        f"Dry run: would create {counts['create']}, update {counts['update']}, "
        f"leave {counts['unchanged']} unchanged"
        + (f", move {label} on {sum(s.move_label for s in steps)}" if label else "")
        + ". Nothing was written.",
        file=out,
    )
    return EXIT_OK


def _counts(steps: list[Step]) -> dict[str, int]:
    counts = {"create": 0, "update": 0, "unchanged": 0}
    for step in steps:
        counts[step.action] += 1
    return counts


def _execute(steps: list[Step], api: Api, message: str, label: str | None, out: TextIO) -> int:
    done = {"create": 0, "update": 0, "unchanged": 0, "label": 0}
    failures = 0
    labels = [label] if label else []
    for step in steps:
        name = step.prompt.name
        try:
            if step.action == "create":
                api.create_prompt(step.prompt, message, labels)
                print(f"created {name}" + (f" ({label})" if label else ""), file=out)
            elif step.action == "update":
                version = api.create_version(step.prompt, message, labels)
                number = version.get("version") or version.get("number")
                print(
                    f"updated {name}"
                    + (f" to version {number}" if number else "")
                    + (f" ({label})" if label else ""),
                    file=out,
                )
            elif step.move_label:
                number = _newest_matching(api, step.prompt)
                api.move_label(name, label, number)
                print(f"moved {label} on {name} to version {number}", file=out)
        except ApiFailure as error:
            failures += 1
            where = f" ({error.field})" if error.field else ""
            print(f"error: {step.relative}{where}: {error}", file=sys.stderr)
            if error.status == 401:
                break  # every other request would be refused the same way
            continue
        done[step.action] += 1
        done["label"] += int(step.move_label)
    summary = f"created {done['create']}, updated {done['update']}, unchanged {done['unchanged']}"
    if label:
        summary += f"; {label} moved on {done['label']}"
    if failures:
        summary += f"; {failures} failed"
    print(summary, file=out)
    return EXIT_FAILED if failures else EXIT_OK


def _newest_matching(api: Api, prompt: PromptFile) -> int:
    """The newest version's number, if it still holds what the file holds (someone may have
    saved since the export: the label must not land on content this push didn't check)."""
    newest = api.latest_version(prompt.name)
    server = PromptFile(
        name=prompt.name,
        content=newest["content"],
        config=newest.get("config") or {},
        template_format=newest["template_format"],
    )
    if not server.same_version(prompt):
        raise ApiFailure(
            409,
            f"version {newest['version']} was saved while pushing; pull, check it, push again",
        )
    return int(newest["version"])


# Entry point -------------------------------------------------------------------------------


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


if __name__ == "__main__":
    sys.exit(main())
