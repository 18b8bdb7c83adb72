"""`promptops pull`: write the server's prompts into the directory."""

import argparse
from pathlib import Path
from typing import TextIO

from .client import Api
from .errors import EXIT_OK
from .files import _is_prompt_file, _prompt_paths, _relative, _remove_empty_parents


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
