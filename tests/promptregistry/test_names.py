"""The one name rule (promptregistry/names.py): Langfuse's names work in the editor, every page
of an oddly named prompt is reachable, and prompts-as-code files keep them."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, get_resolver, reverse

from promptregistry import names, services
from promptregistry.as_code.yaml_format import PromptFile, dump
from promptregistry.cli.files import load_directory
from promptregistry.models import Comment, Folder, Prompt
from tests.accounts.html import field_error
from tests.promptregistry.factories import make_prompt, principal_for
from workspaces.models import AuditEvent

NEW = "/w/acme/prompts/new/"
# Names Langfuse's own server tests accept (prompts.v2.servertest.ts).
LANGFUSE_NAMES = [
    "promptName?!+ =@#;",
    "_starting_with_underscore",
    "ending_with_underscore_",
    "multiple___underscores",
    "multiple---hyphens",
    "multiple...dots",
    "name with spaces",
    "multiple   spaces",
    "angled[brac]es]",
    "folder/subfolder/name",
    "name.with.dots",
    "UPPERCASE",
]


@pytest.mark.parametrize("name", LANGFUSE_NAMES)
def test_every_name_langfuse_accepts_is_a_name_here(name):
    assert names.clean_name(name) == name


def test_a_name_is_trimmed_as_langfuse_trims_it():
    assert names.clean_name("  spaced out  ") == "spaced out"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        # Langfuse's refusals, in its words.
        ("/invalid-name", "Name cannot start with a slash"),
        ("invalid-name/", "Name cannot end with a slash"),
        ("invalid//name", "Name cannot contain consecutive slashes"),
        ("invalid|name", "Prompt name cannot contain '|' character"),
        ("", "Text cannot be empty"),
        ("   ", "Text cannot be empty"),
        ("Test <div>", "Text cannot contain HTML tags"),
        ("x" * 256, "Name cannot be longer than 255 characters"),
        # PromptOps' own, each for a reason written in docs/api-prompts.md.
        ("support/-/triage", "page addresses use it"),
        ("-", "page addresses use it"),
        ("a/../b", "page addresses use it"),
        ("./b", "page addresses use it"),
        ("a\\b", "Name cannot contain '\\'"),
        ("line\nbreak", "control characters"),
        ("nul\x00", "control characters"),
        ("half \ud800", "unpaired surrogates"),
    ],
)
def test_names_that_cant_be_used_say_why(name, message):
    with pytest.raises(ValidationError) as refused:
        names.clean_name(name)
    assert message in refused.value.message_dict["name"][0]


def test_new_is_a_fine_name_here_although_langfuse_reserves_it():
    assert names.clean_name("new") == "new"


# The editor follows the same rule ---------------------------------------------------------------


def chat_form(**overrides) -> dict:
    return {
        "name": "triage",
        "folder": "",
        "kind": "prompt",
        "type": "chat",
        "system_message": "You help {{company}}.",
        "template_format": "mustache",
        **overrides,
    }


@pytest.mark.parametrize("name", ["_leading_underscore", "promptName?!+ =@#;", "a/b c/[d]"])
def test_the_editor_creates_prompts_with_langfuses_names(bob_client, acme, name):
    response = bob_client.post(NEW, chat_form(name=name))

    prompt = Prompt.objects.get(name=name)
    assert response.status_code == 302
    assert response["Location"] == prompt.get_absolute_url()
    assert bob_client.get(response["Location"]).status_code == 200


def test_a_leading_slash_is_refused_in_the_editor_as_in_the_api(bob_client, acme):
    response = bob_client.post(NEW, chat_form(name="/triage"))

    assert response.status_code == 400
    assert field_error(response, "name") == "Name cannot start with a slash"
    assert not Prompt.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


def test_renaming_follows_the_same_rule(acme, alice):
    prompt = make_prompt(acme, "triage", by=alice)
    owner = principal_for(acme, alice)

    services.prompt_rename(principal=owner, prompt=prompt, new_name="_odd?/name #1")
    with pytest.raises(ValidationError):
        services.prompt_rename(principal=owner, prompt=prompt, new_name="a\\b")

    prompt.refresh_from_db()
    assert prompt.name == "_odd?/name #1"
    assert prompt.folder.path == "_odd?"


def test_folder_names_follow_the_segment_rule(acme, alice):
    owner = principal_for(acme, alice)

    folder = services.folder_create(principal=owner, parent=None, name="_drafts & [old]")

    assert folder.path == "_drafts & [old]"
    for bad in ("-", "..", "a|b"):
        with pytest.raises(ValidationError):
            services.folder_create(principal=owner, parent=None, name=bad)
    assert list(Folder.objects.values_list("path", flat=True)) == ["_drafts & [old]"]


# Every page of an oddly named prompt is reachable ------------------------------------------------

ODD = "q?a#b%c/_sp ace+;=@!/ünï\"'x<y & z"  # "<" without ">" is no HTML tag


def _registry_urls(kwarg: str) -> list[URLPattern]:
    resolver = get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == "promptregistry":
            found += [p for p in pattern.url_patterns if kwarg in p.pattern.converters]
    return found


def _prompt_urls() -> list[URLPattern]:
    return _registry_urls("name")


def test_the_odd_name_is_a_name():
    assert names.clean_name(ODD) == ODD


def test_every_page_of_an_oddly_named_prompt_resolves_to_it(alice_client, acme, alice):
    prompt = make_prompt(acme, ODD, by=alice, labels=["staging"])
    owner = principal_for(acme, alice)
    comment = services.comment_create(principal=owner, version=prompt.versions.get(), body="Hi")
    services.prompt_rename(principal=owner, prompt=prompt, new_name=ODD + "2")
    services.prompt_rename(principal=owner, prompt=prompt, new_name=ODD)
    alias = prompt.aliases.get()
    values = {"number": 1, "label": "staging", "comment_id": comment.pk, "alias_id": alias.pk}
    patterns = _prompt_urls()
    assert len(patterns) >= 20

    for pattern in patterns:
        kwargs = {"slug": "acme", "name": ODD}
        kwargs |= {key: values[key] for key in pattern.pattern.converters if key in values}
        url = reverse(f"promptregistry:{pattern.name}", kwargs=kwargs)
        assert "?" not in url and "#" not in url
        response = alice_client.get(url)
        # POST-only actions answer 405 to a GET; every other page is there (no 404, no 5xx).
        assert response.status_code in (200, 302, 405), (pattern.name, url, response.status_code)
    assert Comment.objects.filter(pk=comment.pk).exists()


# Prompts as code keep odd names --------------------------------------------------------------


def _write(root: Path, prompt: PromptFile) -> None:
    path = root / prompt.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(prompt), encoding="utf-8")


def _file(name: str) -> PromptFile:
    return PromptFile(name=name, kind="prompt", type="text", content={"text": "hi"})


def test_files_of_odd_names_and_hidden_folders_are_read_back(tmp_path):
    for name in ("promptName?!+ =@#;", ".drafts/_first", "a/.b/c d"):
        _write(tmp_path, _file(name))
    workflow = tmp_path / ".github" / "workflows" / "ci.yaml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("on: push\njobs: {}\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("name: .git/x\ntype: text\ntext: no\n")

    loaded = load_directory(tmp_path)

    assert loaded.errors == []
    assert sorted(prompt.name for _, prompt in loaded.prompts) == [
        ".drafts/_first",
        "a/.b/c d",
        "promptName?!+ =@#;",
    ]


def test_a_broken_prompt_file_outside_hidden_folders_is_still_an_error(tmp_path):
    (tmp_path / "broken.yaml").write_text("just: a mapping\n")

    assert load_directory(tmp_path).errors


def test_every_page_of_its_folders_resolves_to_them(alice_client, acme, alice):
    make_prompt(acme, ODD, by=alice)
    patterns = _registry_urls("path")
    assert len(patterns) >= 5

    for path in ("q?a#b%c", "q?a#b%c/_sp ace+;=@!"):
        for pattern in patterns:
            url = reverse(f"promptregistry:{pattern.name}", kwargs={"slug": "acme", "path": path})
            response = alice_client.get(url)
            assert response.status_code == 200, (pattern.name, url, response.status_code)
    top = alice_client.get(reverse("promptregistry:folder", args=["acme", "q?a#b%c"]))
    inner = reverse("promptregistry:folder", args=["acme", "q?a#b%c/_sp ace+;=@!"])
    assert f'href="{inner}"' in top.content.decode()
    assert inner == "/w/acme/folders/q%3Fa%23b%25c/_sp%20ace+;=@!/"
