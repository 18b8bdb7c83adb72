"""`promptops push`: create missing prompts and new versions of changed ones; move a label."""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..as_code.yaml_format import PromptFile
from .client import Api, _parse_archive
from .errors import EXIT_FAILED, EXIT_OK, ApiFailure, UsageError
from .files import load_directory


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
