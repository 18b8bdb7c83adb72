import factory

from accounts.models import User
from workspaces.models import ApiKey, Membership, Workspace
from workspaces.roles import Role

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


def api_key_for(
    workspace: Workspace, role: str = Role.EDITOR, name: str = "ci"
) -> tuple[ApiKey, str]:
    """A saved key and its secret, as a test client would hold them (an operator's key: no
    member's role caps it)."""
    api_key = ApiKey(workspace=workspace, name=name, role=role, issued_by_operator=True)
    secret = api_key.issue_secret()
    api_key.save()
    return api_key, secret
