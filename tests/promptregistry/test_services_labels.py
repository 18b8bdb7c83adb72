"""services.labels: protected labels, `latest`, A/B splits, the label history, audit, cache."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from promptregistry import services, serving
from promptregistry.models import Label, LabelMove
from tests.promptregistry.factories import principal_for
from tests.promptregistry.factories_history import chat_prompt, principal, version
from workspaces.models import AuditEvent


@pytest.fixture
def prompt(bob):
    return chat_prompt(bob, versions=3)


def move(user, prompt, name, number):
    return services.label_move(
        principal=principal(user), prompt=prompt, name=name, version=version(prompt, number)
    )


def test_it_refuses_an_editor_moving_production(bob, prompt):
    with pytest.raises(PermissionDenied, match="only admins and owners"):
        move(bob, prompt, "production", 1)
    assert not Label.objects.filter(prompt=prompt, name="production").exists()
    assert not LabelMove.objects.filter(label_name="production").exists()


def test_an_admin_moves_production(adam, bob, prompt):
    label = move(adam, prompt, "production", 2)
    assert label.version.number == 2


def test_an_editor_moves_unprotected_labels(bob, prompt):
    assert move(bob, prompt, "staging", 3).version.number == 3


def test_the_workspace_decides_which_labels_are_protected(acme, adam, bob, prompt):
    acme.protected_labels = ["production", "eu-production"]
    acme.save()
    prompt.workspace.refresh_from_db()
    with pytest.raises(PermissionDenied):
        move(bob, prompt, "eu-production", 1)
    assert move(adam, prompt, "eu-production", 1).name == "eu-production"


def test_latest_can_not_be_set_by_hand(adam, prompt):
    with pytest.raises(ValidationError) as error:
        move(adam, prompt, "latest", 1)
    assert "latest" in str(error.value)


def test_bad_label_names_are_refused(bob, prompt):
    with pytest.raises(ValidationError):
        move(bob, prompt, "Not a label!", 1)


def test_a_version_of_another_prompt_is_refused(bob, prompt):
    other = chat_prompt(bob, name="other", versions=1)
    with pytest.raises(ValidationError):
        services.label_move(
            principal=principal(bob), prompt=prompt, name="staging", version=version(other, 1)
        )


@pytest.mark.parametrize("percent", [1, 50, 99])
def test_a_split_sends_between_1_and_99_percent(bob, prompt, percent):
    move(bob, prompt, "staging", 2)
    label = services.label_split(
        principal=principal(bob),
        prompt=prompt,
        name="staging",
        version=version(prompt, 3),
        percent=percent,
    )
    assert (label.version.number, label.split_version.number) == (2, 3)
    assert label.split_percent == percent and label.has_split


@pytest.mark.parametrize("percent", [0, 100, -5, 150])
def test_a_split_outside_1_to_99_percent_is_refused(bob, prompt, percent):
    move(bob, prompt, "staging", 2)
    with pytest.raises(ValidationError) as error:
        services.label_split(
            principal=principal(bob),
            prompt=prompt,
            name="staging",
            version=version(prompt, 3),
            percent=percent,
        )
    assert "percent" in error.value.message_dict


def test_a_split_needs_the_label_set_and_another_version(bob, prompt):
    with pytest.raises(ValidationError):
        services.label_split(
            principal=principal(bob),
            prompt=prompt,
            name="staging",
            version=version(prompt, 3),
            percent=10,
        )
    move(bob, prompt, "staging", 3)
    with pytest.raises(ValidationError):
        services.label_split(
            principal=principal(bob),
            prompt=prompt,
            name="staging",
            version=version(prompt, 3),
            percent=10,
        )


def test_an_editor_can_not_split_production(adam, bob, prompt):
    move(adam, prompt, "production", 2)
    with pytest.raises(PermissionDenied):
        services.label_split(
            principal=principal(bob),
            prompt=prompt,
            name="production",
            version=version(prompt, 3),
            percent=10,
        )


def split(user, prompt, name="production", main=2, test=3, percent=10):
    move(user, prompt, name, main)
    return services.label_split(
        principal=principal(user),
        prompt=prompt,
        name=name,
        version=version(prompt, test),
        percent=percent,
    )


def test_promote_sends_all_traffic_to_the_tested_version(adam, prompt):
    split(adam, prompt)
    label = services.label_promote_split(
        principal=principal(adam), prompt=prompt, name="production"
    )
    assert label.version.number == 3
    assert label.split_version is None and label.split_percent == 0


def test_abort_sends_all_traffic_back(adam, prompt):
    split(adam, prompt)
    label = services.label_abort_split(principal=principal(adam), prompt=prompt, name="production")
    assert label.version.number == 2
    assert label.split_version is None and not label.has_split


def test_promote_or_abort_without_a_split_is_refused(adam, prompt):
    move(adam, prompt, "production", 2)
    with pytest.raises(ValidationError, match="isn't splitting"):
        services.label_promote_split(principal=principal(adam), prompt=prompt, name="production")
    with pytest.raises(ValidationError, match="isn't splitting"):
        services.label_abort_split(principal=principal(adam), prompt=prompt, name="production")


def test_moving_a_split_label_ends_the_split(adam, prompt):
    split(adam, prompt)
    label = move(adam, prompt, "production", 1)
    assert label.version.number == 1 and not label.has_split


def test_every_change_is_kept_in_the_label_history(adam, prompt):
    split(adam, prompt)  # move to 2, then split 10% to 3
    services.label_promote_split(principal=principal(adam), prompt=prompt, name="production")
    move(adam, prompt, "production", 1)  # the rollback
    services.label_remove(principal=principal(adam), prompt=prompt, name="production")

    rows = list(
        LabelMove.objects.filter(prompt=prompt)
        .order_by("at", "id")
        .values_list("action", "from_number", "to_number", "split_number", "split_percent")
    )
    assert rows == [
        ("move", None, 2, None, 0),
        ("split", 2, 2, 3, 10),
        ("promote", 2, 3, None, 0),
        ("move", 3, 1, None, 0),
        ("remove", 1, None, None, 0),
    ]
    assert set(LabelMove.objects.values_list("actor_label", flat=True)) == {"adam@example.com"}


def test_moving_a_label_to_where_it_already_points_writes_nothing(bob, prompt):
    move(bob, prompt, "staging", 2)
    move(bob, prompt, "staging", 2)
    assert LabelMove.objects.filter(label_name="staging").count() == 1


def test_every_change_is_audited(adam, prompt):
    split(adam, prompt)
    services.label_abort_split(principal=principal(adam), prompt=prompt, name="production")
    events = list(AuditEvent.objects.filter(action__startswith="label.").order_by("at", "id"))
    assert [e.action for e in events] == ["label.move", "label.split", "label.abort"]
    assert all(e.target_label == "support/triage@production" for e in events)
    assert events[0].data["after"]["version"] == 2
    assert events[1].data["after"] == {"version": 2, "split_version": 3, "split_percent": 10}
    assert events[0].actor_user_id == adam.pk


def test_a_refused_move_is_not_audited(bob, prompt):
    with pytest.raises(PermissionDenied):
        move(bob, prompt, "production", 1)
    assert not AuditEvent.objects.filter(action__startswith="label.").exists()


def test_serving_follows_a_label_move_at_once(
    acme, adam, prompt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        move(adam, prompt, "production", 1)
    assert serving.serve(principal_for(acme), "support/triage").number == 1  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        move(adam, prompt, "production", 3)

    assert serving.serve(principal_for(acme), "support/triage").number == 3


def test_serving_a_removed_label_fails_after_the_removal(
    acme, bob, prompt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        move(bob, prompt, "staging", 2)
    assert serving.serve(principal_for(acme), "support/triage", label="staging").number == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.label_remove(principal=principal(bob), prompt=prompt, name="staging")

    with pytest.raises(serving.PromptNotFound):
        serving.serve(principal_for(acme), "support/triage", label="staging")


def test_serving_a_split_label_serves_both_arms(
    acme, adam, prompt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        split(adam, prompt, percent=50)
    served = {
        serving.serve(principal_for(acme), "support/triage", seed=f"user-{n}").number
        for n in range(40)
    }
    assert served == {2, 3}
