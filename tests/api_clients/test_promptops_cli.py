"""`promptops pull` / `promptops push` against a live server, through the HTTP API only.

Most tests call promptregistry.cli.main(argv) in this process (httpx talks to live_server over
HTTP); the first ones run the installed console script as a subprocess, as a CI job would.
"""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from promptregistry import services
from promptregistry.as_code.yaml_format import parse
from promptregistry.cli import CliError, main, read_archive
from promptregistry.models import Label, Prompt, PromptVersion
from tests.factories import api_key_for
from tests.promptregistry.factories_export import principal_of, registry
from workspaces.roles import Role

PROMPTOPS = Path(sys.executable).parent / "promptops"
ALL_FILES = ["greeting.yaml", "support/billing/refunds.yaml", "support/triage.yaml", "tone.yaml"]


@pytest.fixture
def prompts(alice, acme):
    return registry(principal_of(alice, acme))


@pytest.fixture
def editor_key(acme):
    return api_key_for(acme, Role.EDITOR, name="ci")[1]


@pytest.fixture
def admin_key(acme):
    return api_key_for(acme, Role.ADMIN, name="release")[1]


@pytest.fixture
def cli(live_server, monkeypatch, capsys, editor_key):
    """Run the command in-process: returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("PROMPTOPS_HOST", live_server.url)
    monkeypatch.setenv("PROMPTOPS_API_KEY", editor_key)
    for name in ("PROMPTOPS_PUBLIC_KEY", "PROMPTOPS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def files_in(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.yaml"))


def version_count() -> int:
    return PromptVersion.objects.count()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def label_number(name: str, label: str) -> int | None:
    found = Label.objects.filter(prompt__name=name, name=label).select_related("version").first()
    return found.version.number if found else None


# The installed console script --------------------------------------------------------------


def run_script(*argv: str, env: dict) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTOPS_")}
    return subprocess.run(
        [str(PROMPTOPS), *argv],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_console_script_pulls_and_a_push_without_edits_changes_nothing(
    live_server, tmp_path, prompts, editor_key
):
    env = {"PROMPTOPS_HOST": live_server.url, "PROMPTOPS_API_KEY": editor_key}
    before = version_count()

    pulled = run_script("pull", str(tmp_path), env=env)
    pushed = run_script("push", str(tmp_path), env=env)

    assert pulled.returncode == 0, pulled.stderr
    assert files_in(tmp_path) == ALL_FILES
    assert pushed.returncode == 0, pushed.stderr
    assert "created 0, updated 0, unchanged 4" in pushed.stdout
    assert version_count() == before


def test_the_console_script_takes_a_key_pair_and_reports_exit_codes(
    live_server, tmp_path, acme, prompts
):
    key, secret = api_key_for(acme, Role.VIEWER, name="reader")
    pair = {
        "PROMPTOPS_HOST": live_server.url,
        "PROMPTOPS_PUBLIC_KEY": key.public_key,
        "PROMPTOPS_SECRET_KEY": secret,
    }

    assert run_script("pull", str(tmp_path), env=pair).returncode == 0
    no_key = run_script("pull", str(tmp_path), env={"PROMPTOPS_HOST": live_server.url})
    bad_usage = run_script("fetch", env=pair)
    assert no_key.returncode == 2
    assert "no API key" in no_key.stderr
    assert bad_usage.returncode == 2
    assert "invalid choice: 'fetch'" in bad_usage.stderr


def test_the_command_line_module_does_not_load_django():
    check = (
        "import sys, promptregistry.cli, promptregistry.as_code.yaml_format;"
        "sys.exit('django' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, check=False)

    assert result.returncode == 0


# pull --------------------------------------------------------------------------------------


def test_pull_writes_one_file_per_prompt_with_the_exported_content(cli, tmp_path, prompts):
    code, out, _ = cli("pull", tmp_path)

    assert code == 0
    assert files_in(tmp_path) == ALL_FILES
    assert f"Pulled 4 prompts into {tmp_path}: 4 new, 0 changed, 0 unchanged." in out
    triage = parse((tmp_path / "support/triage.yaml").read_text(), "support/triage.yaml")
    assert triage.name == "support/triage"
    assert triage.labels == ["production"]
    assert triage.content["messages"][1] == {"type": "placeholder", "name": "history"}


def test_pull_of_a_folder_writes_only_that_folder(cli, tmp_path, prompts):
    code, _, _ = cli("pull", tmp_path, "--folder", "support/billing")

    assert code == 0
    assert files_in(tmp_path) == ["support/billing/refunds.yaml"]


def test_pull_of_a_missing_folder_fails_naming_it(cli, tmp_path, prompts):
    code, _, err = cli("pull", tmp_path, "--folder", "nowhere")

    assert code == 1
    assert "No folder “nowhere”" in err
    assert files_in(tmp_path) == []


def test_a_second_pull_reports_everything_unchanged_and_rewrites_nothing(cli, tmp_path, prompts):
    cli("pull", tmp_path)
    mtime = (tmp_path / "greeting.yaml").stat().st_mtime_ns

    code, out, _ = cli("pull", tmp_path)

    assert code == 0
    assert "0 new, 0 changed, 4 unchanged" in out
    assert (tmp_path / "greeting.yaml").stat().st_mtime_ns == mtime


def test_pull_keeps_files_gone_from_the_server_unless_asked_to_prune(cli, tmp_path, prompts):
    cli("pull", tmp_path)
    (tmp_path / "old").mkdir()
    (tmp_path / "old/gone.yaml").write_text("name: old/gone\ntext: bye\n")
    (tmp_path / "docker-compose.yaml").write_text("services: {}\n")

    _, kept, _ = cli("pull", tmp_path)
    code, pruned, _ = cli("pull", tmp_path, "--prune")

    assert "1 local file is not on the server (kept; --prune removes them)." in kept
    assert code == 0
    assert "removed old/gone.yaml" in pruned
    assert "0 new, 0 changed, 4 unchanged, 1 removed" in pruned
    assert not (tmp_path / "old").exists()
    assert (tmp_path / "docker-compose.yaml").exists()  # not a prompt file: never touched


# push --------------------------------------------------------------------------------------


def test_push_creates_new_prompts_and_versions_only_where_something_changed(cli, tmp_path, prompts):
    cli("pull", tmp_path)
    edit(tmp_path / "support/triage.yaml", "Be brief", "Be very brief")
    edit(tmp_path / "greeting.yaml", "config: {}", "config:\n  temperature: 0.7")
    (tmp_path / "support/new.yaml").write_text(
        "name: support/new\ntype: text\ntext: |\n  Welcome, {{name}}.\n  How can we help?\n"
    )
    before = version_count()

    code, out, err = cli("push", tmp_path, "-m", "From git")

    assert code == 0, err
    assert "created 1, updated 2, unchanged 2" in out
    assert version_count() == before + 3
    triage = Prompt.objects.get(name="support/triage")
    latest = triage.versions.get(number=triage.latest_version_number)
    assert triage.latest_version_number == 2
    assert "Be very brief" in latest.content["messages"][0]["content"]
    assert latest.commit_message == "From git"
    assert latest.author_api_key is not None
    greeting = Prompt.objects.get(name="greeting")
    assert greeting.versions.get(number=2).config == {"temperature": 0.7}
    created = Prompt.objects.get(name="support/new")
    assert created.versions.get().content == {"text": "Welcome, {{name}}.\nHow can we help?\n"}
    assert Prompt.objects.get(name="support/billing/refunds").latest_version_number == 2


def test_a_pull_then_push_round_trip_changes_nothing(cli, tmp_path, prompts):
    cli("pull", tmp_path)
    before = version_count()

    code, out, _ = cli("push", tmp_path)
    again, _, _ = cli("pull", tmp_path)

    assert code == 0
    assert "created 0, updated 0, unchanged 4" in out
    assert version_count() == before
    assert again == 0


def test_a_pushed_prompt_pulls_back_to_the_very_same_file(cli, tmp_path, prompts):
    source = tmp_path / "repo"
    (source / "team").mkdir(parents=True)
    text = (
        "name: team/writer\nkind: prompt\ntype: chat\ntemplate_format: jinja2\n"
        "description: Drafts replies.\ntags:\n  - drafts\nlabels: []\nconfig:\n"
        "  max_tokens: 300\n  model: gpt-4o\n  tools:\n    - name: lookup\n      strict: true\n"
        "messages:\n  - role: system\n    content: |\n      Write as {{ brand }}.\n"
        "      Sign off with “Cheers”.\n  - type: placeholder\n    name: history\n"
    )
    (source / "team/writer.yaml").write_text(text, encoding="utf-8")

    assert cli("push", source)[0] == 0
    cli("pull", tmp_path / "copy", "--folder", "team")

    assert (tmp_path / "copy/team/writer.yaml").read_text(encoding="utf-8") == text
    assert cli("push", source)[1].endswith("created 0, updated 0, unchanged 1\n")


def test_push_with_a_label_moves_it_to_the_pushed_versions(cli, tmp_path, prompts):
    cli("pull", tmp_path)
    edit(tmp_path / "greeting.yaml", "Hello", "Hi")

    code, out, _ = cli("push", tmp_path, "--label", "staging")

    assert code == 0
    assert "updated greeting to version 2 (staging)" in out
    assert label_number("greeting", "staging") == 2
    assert label_number("support/triage", "staging") == 1  # unchanged: its newest version
    assert label_number("support/billing/refunds", "staging") == 2  # already there
    assert "staging moved on 3" in out


def test_an_editor_key_can_not_move_a_protected_label_and_nothing_is_written(
    cli, tmp_path, prompts
):
    cli("pull", tmp_path)
    edit(tmp_path / "greeting.yaml", "Hello", "Hi")
    before = version_count()

    code, out, err = cli("push", tmp_path, "--label", "production")

    assert code == 1
    assert (
        "error: greeting.yaml: “production” is a protected label: only admins and owners "
        "can move it." in err
    )
    assert version_count() == before
    assert label_number("greeting", "production") is None
    assert "created 0, updated 0, unchanged 1; production moved on 0; 3 failed" in out


def test_an_admin_key_moves_a_protected_label(cli, tmp_path, prompts, admin_key):
    cli("pull", tmp_path)
    edit(tmp_path / "support/billing/refunds.yaml", "30 days", "60 days")

    code, _, err = cli("push", tmp_path, "--label", "production", "--api-key", admin_key)

    assert code == 0, err
    assert label_number("support/billing/refunds", "production") == 3
    assert label_number("greeting", "production") == 1


def test_dry_run_says_what_would_change_and_writes_nothing(cli, tmp_path, prompts):
    cli("pull", tmp_path)
    edit(tmp_path / "greeting.yaml", "Hello", "Hi")
    (tmp_path / "fresh.yaml").write_text("name: fresh\ntext: New\n")
    before = version_count()

    code, out, _ = cli("push", tmp_path, "--dry-run", "--label", "staging")

    assert code == 0
    assert "would create fresh" in out
    assert "would update greeting" in out
    assert "Dry run: would create 1, update 1, leave 3 unchanged, move staging on 4." in out
    assert "Nothing was written." in out
    assert version_count() == before
    assert not Prompt.objects.filter(name="fresh").exists()
    assert not Label.objects.filter(name="staging").exclude(prompt__name="support/billing/refunds")


def test_push_refuses_bad_files_naming_each_one_and_pushes_nothing(cli, tmp_path, prompts):
    cli("pull", tmp_path)
    edit(tmp_path / "greeting.yaml", "Hello", "Hi")
    (tmp_path / "broken.yaml").write_text("name: broken\nmessages:\n  - role: robot\n")
    (tmp_path / "misplaced.yaml").write_text("name: elsewhere/thing\ntext: x\n")
    before = version_count()

    code, _, err = cli("push", tmp_path)

    assert code == 1
    assert "error: broken.yaml: messages[1].role: must be one of system, user, assistant" in err
    assert "error: misplaced.yaml: name: says “elsewhere/thing” but the file is" in err
    assert "Nothing was pushed" in err
    assert version_count() == before


def test_push_refuses_to_change_a_prompt_s_type(cli, tmp_path, prompts):
    cli("pull", tmp_path, "--folder", "support")
    (tmp_path / "support/triage.yaml").write_text("name: support/triage\ntext: now text\n")

    code, _, err = cli("push", tmp_path)

    assert code == 1
    assert "support/triage.yaml: type: “support/triage” is a chat prompt on the server" in err


def test_the_server_s_validation_message_names_the_file(cli, tmp_path, prompts):
    (tmp_path / "bad.yaml").write_text(
        "name: bad\ntemplate_format: jinja2\ntext: '{% if vip %}Hello'\n"
    )

    code, out, err = cli("push", tmp_path)

    assert code == 1
    assert "error: bad.yaml (content):" in err
    assert "1 failed" in out


def test_a_viewer_key_can_pull_but_not_push(cli, tmp_path, acme, prompts):
    _, viewer = api_key_for(acme, Role.VIEWER, name="reader")
    cli("pull", tmp_path, "--api-key", viewer)
    edit(tmp_path / "greeting.yaml", "Hello", "Hi")

    code, _, err = cli("push", tmp_path, "--api-key", viewer)

    assert code == 1
    assert "error: greeting.yaml:" in err
    assert "viewer" in err


def test_a_wrong_key_is_refused_with_a_clear_message(cli, tmp_path, prompts):
    code, _, err = cli("pull", tmp_path, "--api-key", "sk-not-a-key")

    assert code == 1
    assert "the server refused the API key" in err


def test_an_unreachable_server_is_an_error_naming_it(cli, tmp_path):
    code, _, err = cli("pull", tmp_path, "--host", "http://127.0.0.1:9")

    assert code == 1
    assert "can't reach http://127.0.0.1:9" in err


def test_bad_usage_exits_2(cli, tmp_path):
    assert cli("push", tmp_path, "--frobnicate")[0] == 2
    assert cli("pull", tmp_path, "--host", "localhost:8000")[0] == 2
    assert cli("push", tmp_path / "missing")[0] == 2
    assert cli("push", tmp_path, "--label", "latest")[0] == 2


def test_pull_refuses_an_archive_whose_paths_would_leave_the_directory():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../outside.yaml", "name: x\ntext: y\n")

    with pytest.raises(CliError, match="unsafe path: ../outside.yaml"):
        read_archive(buffer.getvalue())


def test_names_langfuse_accepts_round_trip_through_files(cli, tmp_path, acme, alice):
    """Issue #8: the name rule is Langfuse's, so files may be named oddly: a folder whose name
    starts with "." and characters URLs reserve. A round trip changes nothing."""
    owner = principal_of(alice, acme)
    names = ["promptName?!+ =@#;", ".drafts/_first try", "a&b/[c]%d"]
    for name in names:
        services.prompt_create(
            principal=owner,
            name=name,
            prompt_type=Prompt.Type.TEXT,
            version_content={"text": f"I am {name}"},
        )

    pulled = cli("pull", tmp_path)
    before = version_count()
    pushed = cli("push", tmp_path)

    assert pulled[0] == 0
    assert files_in(tmp_path) == sorted(f"{name}.yaml" for name in names)
    assert (pushed[0], version_count()) == (0, before)
    assert "created 0, updated 0, unchanged 3" in pushed[1]
