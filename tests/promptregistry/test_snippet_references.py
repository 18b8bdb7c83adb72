"""Snippet references: finding, resolving and cycle detection. No database needed."""

import pytest

from promptregistry.templating import (
    SnippetCycleError,
    SnippetDepthError,
    SnippetNotFoundError,
    SnippetReference,
    SnippetSyntaxError,
    TemplateError,
    TemplateSyntaxError,
    check_references,
    detect_cycle,
    find_references,
    render,
    resolve_references,
    variables,
)


def loader(texts: dict[str, str], calls: list[SnippetReference] | None = None):
    """A loader over {name: text}; raises KeyError for unknown names like a real store."""

    def load(reference: SnippetReference) -> str:
        if calls is not None:
            calls.append(reference)
        return texts[reference.name]

    return load


# --------------------------------------------------------------------------
# Finding references
# --------------------------------------------------------------------------


def test_a_reference_without_label_or_version_means_production():
    [reference] = find_references("Before {{> tone}} after")
    assert (reference.name, reference.label, reference.version) == ("tone", "production", None)
    assert reference.raw == "{{> tone}}"
    assert reference.span == (7, 17)


def test_references_can_name_a_label_or_a_version():
    text = "{{> a|label=staging}} {{> b|version=3}} {{>c}} {{ > d | label = canary }}"
    found = [(r.name, r.label, r.version) for r in find_references(text)]
    assert found == [
        ("a", "staging", None),
        ("b", None, 3),
        ("c", "production", None),
        ("d", "canary", None),
    ]


def test_reference_names_may_contain_slashes_dashes_underscores_and_dots():
    [reference] = find_references("{{> team/shared_v2.tone-of-voice}}")
    assert reference.name == "team/shared_v2.tone-of-voice"


def test_langfuse_references_are_understood():
    text = (
        "@@@langfusePrompt:name=Base Prompt|label=staging@@@\n"
        "@@@langfusePrompt:name=other|version=12@@@\n"
        "@@@langfusePrompt:name=a@b ?#|label=prod-v1.0_beta@@@"
    )
    found = [(r.name, r.label, r.version, r.syntax) for r in find_references(text)]
    assert found == [
        ("Base Prompt", "staging", None, "langfuse"),
        ("other", None, 12, "langfuse"),
        ("a@b ?#", "prod-v1.0_beta", None, "langfuse"),
    ]


@pytest.mark.parametrize(
    "tag",
    [
        # Langfuse's parsePromptDependencyTags tests: these are not references.
        "@@@langfusePrompt:invalid@@@",
        "@@@langfusePrompt:name=missing-type@@@",
        "@@@langfusePrompt:version=1@@@",
        "@@@langfusePrompt:name=invalid|something=else@@@",
        "@@@langfusePrompt:version=2|name=x@@@",
        "@@@langfusePrompt:name=x|label=a|version=2@@@",
        "@@@langfusePrompt:name=x|version=latest@@@",
        "@@@langfusePrompt:name=|label=x@@@",
        "@@langfusePrompt:name=test|version=1@@",
        "@@@langfusePrompt:name=test|version=1",
        "langfusePrompt:name=test|version=1@@@",
        "@@@langfuseMedia:type=image/jpeg|id=cc48838a|source=base64@@@",
    ],
)
def test_malformed_langfuse_tags_are_left_as_text_as_langfuse_leaves_them(tag):
    text = f"Valid: @@@langfusePrompt:name=valid|version=1@@@ Other: {tag}"

    assert [(r.name, r.version) for r in find_references(text)] == [("valid", 1)]
    assert resolve_references(text, loader({"valid": "V"})) == f"Valid: V Other: {tag}"


def test_several_tags_for_one_name_are_separate_references():
    text = (
        "@@@langfusePrompt:name=same|version=1@@@ @@@langfusePrompt:name=same|version=2@@@ "
        "@@@langfusePrompt:name=same|label=production@@@"
    )
    found = [(r.name, r.label, r.version) for r in find_references(text)]
    assert found == [("same", None, 1), ("same", None, 2), ("same", "production", None)]


@pytest.mark.parametrize(
    "text",
    ["{{> name|tag=x}}", "{{> name|version=latest}}", "{{> }}", "{{> has space}}"],
)
def test_malformed_promptops_references_are_syntax_errors(text):
    with pytest.raises(SnippetSyntaxError):
        find_references("ok\n" + text)


def test_syntax_errors_carry_the_line_number():
    with pytest.raises(SnippetSyntaxError) as raised:
        find_references("one\ntwo\n{{> x|tag=1}}")
    assert raised.value.lineno == 3
    assert isinstance(raised.value, TemplateSyntaxError)


def test_non_strict_search_skips_malformed_references():
    found = find_references("{{> bad|tag=1}} {{> good}}", strict=False)
    assert [r.name for r in found] == ["good"]


def test_mustache_variables_are_not_references():
    assert find_references("{{ name }} {{name}}") == []


# --------------------------------------------------------------------------
# Resolving
# --------------------------------------------------------------------------


def test_references_are_replaced_by_the_loaded_text():
    load = loader({"greeting": "Hello", "sign-off": "Bye"})
    text = "{{> greeting}}, world. @@@langfusePrompt:name=sign-off|label=production@@@"
    assert resolve_references(text, load) == "Hello, world. Bye"


def test_the_loader_receives_the_label_or_version():
    calls: list[SnippetReference] = []
    resolve_references("{{> a|version=4}}{{> a|label=beta}}", loader({"a": "x"}, calls))
    assert [(c.name, c.label, c.version) for c in calls] == [("a", None, 4), ("a", "beta", None)]


def test_references_are_resolved_recursively():
    load = loader({"outer": "[{{> inner}}]", "inner": "core"})
    assert resolve_references("<{{> outer}}>", load) == "<[core]>"


def test_each_distinct_reference_is_loaded_once():
    calls: list[SnippetReference] = []
    resolve_references("{{> a}} {{> a}} {{> a}}", loader({"a": "x"}, calls))
    assert len(calls) == 1


def test_text_without_references_is_returned_unchanged():
    assert resolve_references("Hi {{name}}", loader({})) == "Hi {{name}}"


def test_snippets_are_resolved_before_variables_are_rendered():
    load = loader({"persona": "You are {{persona}}."})
    text = resolve_references("{{> persona}} Answer {{question}}", load)
    assert variables(text) == ["persona", "question"]
    assert render(text, variables={"persona": "kind", "question": "briefly"}) == (
        "You are kind. Answer briefly"
    )


def test_a_malformed_reference_inside_a_snippet_names_the_snippet():
    with pytest.raises(SnippetSyntaxError, match="In snippet outer: Invalid snippet reference"):
        resolve_references("{{> outer}}", loader({"outer": "x\n{{> inner|tag=1}}"}))


def test_a_missing_snippet_is_named():
    with pytest.raises(SnippetNotFoundError) as raised:
        resolve_references("{{> exists}}", loader({"exists": "{{> ghost|label=staging}}"}))
    assert raised.value.reference.name == "ghost"
    assert str(raised.value) == (
        'Snippet "ghost" (label "staging") not found (referenced from exists)'
    )


def test_a_loader_may_signal_absence_with_any_lookup_error():
    def load(reference: SnippetReference) -> str:
        raise LookupError(reference.name)

    with pytest.raises(SnippetNotFoundError, match='"gone"'):
        resolve_references("{{> gone|version=2}}", load)


def test_cycles_are_named():
    load = loader({"a": "A {{> b}}", "b": "B {{> a}}"})
    with pytest.raises(SnippetCycleError) as raised:
        resolve_references("start {{> a}}", load)
    assert raised.value.cycle == ["a", "b", "a"]
    assert "a -> b -> a" in str(raised.value)


def test_a_cycle_back_to_the_root_prompt_is_named():
    load = loader({"b": "{{> c}}", "c": "{{> main}}"})
    with pytest.raises(SnippetCycleError, match="main -> b -> c -> main"):
        resolve_references("{{> b}}", load, root_name="main")


def test_a_snippet_referencing_itself_is_a_cycle():
    with pytest.raises(SnippetCycleError, match="self -> self"):
        resolve_references("{{> self}}", loader({"self": "again {{> self}}"}))


def test_the_same_snippet_used_twice_in_different_branches_is_not_a_cycle():
    load = loader({"a": "{{> shared}}", "b": "{{> shared}}", "shared": "s"})
    assert resolve_references("{{> a}}{{> b}}", load) == "ss"


def test_nesting_deeper_than_the_limit_is_refused():
    texts = {f"level{i}": f"{{{{> level{i + 1}}}}}" for i in range(1, 10)}
    texts["level10"] = "bottom"
    with pytest.raises(SnippetDepthError) as raised:
        resolve_references("{{> level1}}", loader(texts), max_depth=5)
    assert raised.value.chain == ["level1", "level2", "level3", "level4", "level5", "level6"]
    assert "Maximum nesting depth exceeded" in str(raised.value)
    assert "may nest 5 levels" in str(raised.value)


def test_by_default_five_prompts_may_chain_as_in_langfuse():
    texts = {
        f"depth-{i}": f"@@@langfusePrompt:name=depth-{i + 1}|label=production@@@"
        for i in range(1, 5)
    }
    texts["depth-5"] = "deepest"
    load = loader(texts)

    assert resolve_references(texts["depth-1"], load, root_name="depth-1") == "deepest"
    with pytest.raises(SnippetDepthError, match="Maximum nesting depth exceeded"):
        resolve_references(
            "@@@langfusePrompt:name=depth-1|label=production@@@", load, root_name="depth-0"
        )


def test_nesting_up_to_the_limit_is_allowed():
    texts = {"level1": "{{> level2}}", "level2": "{{> level3}}", "level3": "bottom"}
    assert resolve_references("{{> level1}}", loader(texts), max_depth=3) == "bottom"


def test_snippet_errors_are_template_errors():
    for error in (SnippetCycleError, SnippetDepthError, SnippetNotFoundError, SnippetSyntaxError):
        assert issubclass(error, TemplateError)


# --------------------------------------------------------------------------
# Save-time checks
# --------------------------------------------------------------------------


def test_detect_cycle_finds_a_chain_back_to_the_prompt_being_saved():
    stored = {"b": "uses {{> c|label=staging}}", "c": "@@@langfusePrompt:name=a|version=1@@@"}
    assert detect_cycle("a", "new text {{> b}}", loader(stored)) == ["a", "b", "c", "a"]


def test_detect_cycle_returns_none_when_there_is_no_cycle():
    stored = {"b": "{{> c}}", "c": "leaf"}
    assert detect_cycle("a", "{{> b}} {{> c}}", loader(stored)) is None


def test_detect_cycle_skips_missing_snippets_and_unrelated_cycles():
    stored = {"b": "{{> c}} {{> ghost}}", "c": "{{> b}}"}
    assert detect_cycle("a", "{{> b}}", loader(stored)) is None


def test_detect_cycle_sees_a_direct_self_reference():
    assert detect_cycle("a", "{{> a|label=staging}}", loader({})) == ["a", "a"]


def test_check_references_raises_the_cycle_at_save_time():
    with pytest.raises(SnippetCycleError, match="a -> b -> a"):
        check_references("a", "{{> b}}", loader({"b": "{{> a}}"}))


def test_check_references_reports_missing_snippets_at_save_time():
    with pytest.raises(SnippetNotFoundError):
        check_references("a", "{{> nowhere}}", loader({}))


def test_check_references_accepts_valid_text():
    check_references("a", "{{> b}}", loader({"b": "fine"}))
