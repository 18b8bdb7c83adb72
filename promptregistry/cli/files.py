"""The local directory: finding, reading and tidying prompt files."""

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..as_code.yaml_format import SUFFIX, PromptFile, PromptFileError, parse

# Never prompt folders: version control and tool directories are not walked at all.
TOOL_DIRECTORIES = frozenset({".git", ".hg", ".svn", ".venv", "node_modules", "__pycache__"})


def _prompt_paths(root: Path) -> list[Path]:
    """Every *.yaml under root, except in tool directories (.git, .venv, ...)."""
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in TOOL_DIRECTORIES)
        found.extend(Path(directory) / f for f in sorted(files) if f.endswith(SUFFIX))
    return sorted(found)


def _in_hidden_directory(relative: str) -> bool:
    """A folder whose name starts with "." may hold prompts (a prompt folder ".drafts"), but
    also other tools' YAML (.github/workflows): there, only prompt files count."""
    return any(part.startswith(".") for part in relative.split("/")[:-1])


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
        hidden = _in_hidden_directory(relative)
        try:
            prompt = parse(path.read_text(encoding="utf-8"), source=relative)
        except PromptFileError as error:
            if not hidden:
                loaded.errors.append(str(error))
            continue
        except (OSError, UnicodeDecodeError) as error:
            if not hidden:
                loaded.errors.append(f"{relative}: can't be read: {error}")
            continue
        expected = relative[: -len(SUFFIX)]
        if prompt.name != expected and hidden:
            continue
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


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and root in directory.parents and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
