import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from workspaces.models import Membership, Workspace
from workspaces.roles import Role


@pytest.fixture(autouse=True)
def _own_var_dir(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path  # the command keeps the login beside the database
    monkeypatch.delenv("PROMPTOPS_DEMO_PASSWORD", raising=False)


def run() -> str:
    out = StringIO()
    call_command("setup_demo", stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    match = re.search(r"Demo login: demo@example\.com / (\S+)", output)
    assert match, output
    return match.group(1)


def test_it_creates_the_demo_workspace_and_prints_the_login(client, db):
    output = run()

    password = printed_password(output)
    owner = User.objects.get(email="demo@example.com")
    assert owner.check_password(password)
    assert owner.is_staff
    workspace = Workspace.objects.get(slug="demo")
    assert Membership.objects.get(workspace=workspace).user == owner
    assert Membership.objects.get(workspace=workspace).role == Role.OWNER
    signed_in = client.post(
        "/accounts/sign-in/", {"email": "demo@example.com", "password": password}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == "/w/demo/"


def test_a_second_run_changes_nothing_and_prints_the_same_login(db):
    first = run()
    owner_password = User.objects.get(email="demo@example.com").password

    second = run()

    assert printed_password(second) == printed_password(first)
    assert User.objects.filter(email="demo@example.com").count() == 1
    assert Workspace.objects.filter(slug="demo").count() == 1
    assert Membership.objects.filter(workspace__slug="demo").count() == 1
    assert User.objects.get(email="demo@example.com").password == owner_password


def test_it_takes_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("PROMPTOPS_DEMO_PASSWORD", "demo-pass-123")

    output = run()

    assert printed_password(output) == "demo-pass-123"
    assert User.objects.get(email="demo@example.com").check_password("demo-pass-123")


def test_the_environment_password_replaces_an_earlier_one(db, monkeypatch):
    run()
    monkeypatch.setenv("PROMPTOPS_DEMO_PASSWORD", "chosen-later-456")

    output = run()

    assert printed_password(output) == "chosen-later-456"
    assert User.objects.get(email="demo@example.com").check_password("chosen-later-456")


def test_the_login_file_is_private(db, settings):
    run()

    assert (settings.VAR_DIR / "demo-login.txt").stat().st_mode & 0o777 == 0o600
