"""The apps depend one way (docs/architecture.md): a test, so the layering can't rot."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "workspaces", "promptregistry", "gateway", "playground", "evaluations"]
ALLOWED = {
    "accounts": set(),
    "workspaces": {"accounts"},
    "promptregistry": {"workspaces", "accounts"},
    "gateway": {"promptregistry", "workspaces", "accounts"},
    # The playground hands its set-up to evaluations ("Add to dataset", "Run on the whole
    # dataset"); evaluations never imports the playground.
    "playground": {"evaluations", "gateway", "promptregistry", "workspaces", "accounts"},
    "evaluations": {"gateway", "promptregistry", "workspaces", "accounts"},
}


def imported_apps(app: str, root: Path = ROOT) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (root / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != app:
                    found.setdefault(top, set()).add(str(path.relative_to(root)))
    return found


@pytest.mark.parametrize("app", [a for a in APPS if (ROOT / a).is_dir()])
def test_app_imports_only_the_apps_below_it(app):
    wrong = {dep: files for dep, files in imported_apps(app).items() if dep not in ALLOWED[app]}
    assert not wrong, f"{app} must not import {sorted(wrong)}: {wrong}"


def test_the_walk_sees_a_forbidden_import(tmp_path):
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "bad.py").write_text("from workspaces.models import Workspace\n")
    assert "workspaces" in imported_apps("accounts", root=tmp_path)
