import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from evaluations.models import (
    Dataset,
    DatasetItem,
    EvaluationResult,
    EvaluationRun,
    EvaluationSettings,
    Evaluator,
    HumanGrade,
)
from gateway.models import (
    Completion,
    Feedback,
    GatewaySettings,
    ModelAlias,
    Provider,
    ProviderModel,
)
from playground.models import Cell
from playground.models import Run as PlaygroundRun
from playground.models import Session as PlaygroundSession
from promptregistry import services
from promptregistry.models import Draft
from tests.factories import MembershipFactory, UserFactory, api_key_for
from tests.promptregistry.factories import make_prompt, principal_for
from workspaces import audit
from workspaces.models import ApiKey, AuditEvent, Invitation
from workspaces.principal import Principal
from workspaces.roles import Role


@pytest.fixture
def operator_client(client_for, db):
    return client_for(UserFactory(email="ops@example.com", is_staff=True, is_superuser=True))


@pytest.fixture
def invitation(acme, alice) -> Invitation:
    invitation = Invitation(workspace=acme, email="new@example.com", invited_by=alice)
    invitation.new_token()
    invitation.save()
    return invitation


@pytest.fixture
def one_of_each(acme, alice, invitation):
    """At least one row of every model this project registers in the admin."""
    prompt = make_prompt(acme, "support/triage", by=alice, labels=["staging"], tags=["faq"])
    services.prompt_rename(principal=principal_for(acme, alice), prompt=prompt, new_name="triage")
    version = prompt.versions.get()
    services.comment_create(
        principal=principal_for(acme, alice), version=version, body="Looks good"
    )
    Draft.objects.create(prompt=prompt, user=alice, base_number=1, data={"text": "wip"})
    Group.objects.create(name="Operators")
    MembershipFactory(workspace=acme, role=Role.VIEWER)
    api_key, _ = api_key_for(acme, Role.VIEWER)
    audit.record(
        principal=Principal.for_api_key(api_key),
        action="api_key.create",
        target=api_key,
        data={"after": {"name": "ci"}},
    )
    audit.record(
        principal=Principal(workspace=acme, role=Role.OWNER, user=alice),
        action="invitation.create",
        target=invitation,
    )
    # The gateway's models: a provider with a key, a model, an alias, settings, a completion
    # with feedback.
    provider = Provider(workspace=acme, name="OpenAI", kind=Provider.Kind.OPENAI)
    provider.set_api_key("sk-admin-test-secret-1234")
    provider.save()
    model = ProviderModel.objects.create(
        workspace=acme, provider=provider, name="gpt-4o-mini", upstream_name="gpt-4o-mini"
    )
    ModelAlias.objects.create(workspace=acme, name="fast", model=model)
    GatewaySettings.objects.create(workspace=acme)
    completion = Completion.objects.create(
        workspace=acme, source=Completion.Source.API, status=Completion.Status.OK, model=model
    )
    Feedback.objects.create(workspace=acme, completion=completion, score=1)
    # Evaluations: a dataset with an item, an evaluator, a run with a graded result, settings.
    dataset = Dataset.objects.create(workspace=acme, name="Tickets", created_by=alice)
    item = DatasetItem.objects.create(dataset=dataset, position=1, inputs={"ticket": "Hi"})
    Evaluator.objects.create(workspace=acme, name="Exact", kind="exact_match", created_by=alice)
    run = EvaluationRun.objects.create(
        workspace=acme,
        prompt=prompt,
        prompt_name=prompt.name,
        prompt_version=1,
        dataset=dataset,
        created_by=alice,
    )
    result = EvaluationResult.objects.create(run=run, item=item, position=1)
    HumanGrade.objects.create(result=result, grader=alice, score=4)
    EvaluationSettings.objects.create(workspace=acme, gate_dataset=dataset)
    # The playground: a session with a run and one cell.
    session = PlaygroundSession.objects.create(
        workspace=acme, created_by=alice, prompt=prompt, content={"text": "Hi"}
    )
    playground_run = PlaygroundRun.objects.create(session=session, number=1, created_by=alice)
    Cell.objects.create(run=playground_run, column=1, model_name="gpt-4o-mini")


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_the_admin_index_lists_every_registered_model(operator_client):
    response = operator_client.get(reverse("admin:index"))

    assert response.status_code == 200
    for model in admin.site._registry:
        assert admin_url(model, "changelist") in response.content.decode()


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_changelist_and_change_page_renders(operator_client, one_of_each, model):
    changelist = operator_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200

    model_admin = admin.site._registry[model]
    if model_admin.search_fields:
        searched = operator_client.get(admin_url(model, "changelist"), {"q": "example"})
        assert searched.status_code == 200

    obj = model._default_manager.first()
    if obj is None:
        pytest.skip(f"no {model._meta.label} row to open; add one to one_of_each")
    change = operator_client.get(admin_url(model, "change", obj.pk))
    assert change.status_code == 200


def test_an_api_key_page_never_shows_the_secret(operator_client, acme):
    api_key, secret = api_key_for(acme)

    pages = [
        operator_client.get(admin_url(ApiKey, "change", api_key.pk)),
        operator_client.get(admin_url(ApiKey, "changelist")),
    ]

    for page in pages:
        assert page.status_code == 200
        assert api_key.secret_hash not in page.content.decode()
        assert secret not in page.content.decode()


def test_an_invitation_page_never_shows_the_token_hash(operator_client, invitation):
    pages = [
        operator_client.get(admin_url(Invitation, "change", invitation.pk)),
        operator_client.get(admin_url(Invitation, "changelist")),
    ]

    for page in pages:
        assert page.status_code == 200
        assert invitation.token_hash not in page.content.decode()


def test_revoking_a_key_from_the_admin_keeps_its_secret(operator_client, acme):
    api_key, secret = api_key_for(acme)
    now = timezone.now()

    response = operator_client.post(
        admin_url(ApiKey, "change", api_key.pk),
        {
            "name": api_key.name,
            "role": api_key.role,
            "revoked_at_0": now.strftime("%Y-%m-%d"),
            "revoked_at_1": now.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.secret_hash and api_key.public_key.startswith("pk-")


def test_audit_events_are_read_only_in_the_admin(operator_client, one_of_each):
    event = AuditEvent.objects.first()
    stored = AuditEvent.objects.values().get(pk=event.pk)

    change = operator_client.get(admin_url(AuditEvent, "change", event.pk))
    posted = operator_client.post(admin_url(AuditEvent, "change", event.pk), {"action": "x.y"})
    deleted = operator_client.post(admin_url(AuditEvent, "delete", event.pk), {"post": "yes"})

    assert change.status_code == 200
    assert 'name="action"' not in change.content.decode()
    assert posted.status_code == 403
    assert deleted.status_code == 403
    assert AuditEvent.objects.values().get(pk=event.pk) == stored
    assert not LogEntry.objects.exists()  # the admin logs every change and deletion it makes
    assert operator_client.get(admin_url(AuditEvent, "add")).status_code == 403


def test_keys_and_invitations_are_not_added_from_the_admin(operator_client):
    assert operator_client.get(admin_url(ApiKey, "add")).status_code == 403
    assert operator_client.get(admin_url(Invitation, "add")).status_code == 403


def test_a_member_who_is_not_staff_can_not_open_the_admin(alice_client):
    response = alice_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_add_page_renders_or_is_refused(operator_client, model):
    response = operator_client.get(admin_url(model, "add"))

    assert response.status_code in (200, 403)


def test_an_operator_adds_a_user_from_the_admin(operator_client):
    from accounts.models import User

    response = operator_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Newbie@Example.com",
            "name": "New Bie",
            "usable_password": "true",
            "password1": "saffron dune 51 kite",
            "password2": "saffron dune 51 kite",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="newbie@example.com")
    assert user.check_password("saffron dune 51 kite")


def test_an_operator_deletes_a_workspace_with_its_audit_log(
    operator_client, acme, alice, invitation
):
    from workspaces.models import Workspace

    api_key, _ = api_key_for(acme)
    audit.record(principal=Principal.for_api_key(api_key), action="api_key.create", target=api_key)

    confirm = operator_client.get(admin_url(Workspace, "delete", acme.pk))
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()

    response = operator_client.post(admin_url(Workspace, "delete", acme.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Workspace.objects.filter(pk=acme.pk).exists()
    assert not AuditEvent.objects.filter(workspace_id=acme.pk).exists()
    assert not ApiKey.objects.filter(pk=api_key.pk).exists()
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
