from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workspaces import services
from workspaces.models import Workspace
from workspaces.principal import Principal
from workspaces.roles import Role


class Command(BaseCommand):
    help = "Create a workspace API key and print 'pk-... sk-...' on one line (operators, CI)."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="Workspace slug")
        parser.add_argument("--name", required=True, help="What the key is for")
        parser.add_argument("--role", default=Role.EDITOR, choices=Role.values)

    def handle(self, *args, workspace: str, name: str, role: str, **options):
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"No workspace with the slug {workspace!r}.")
        # The operator acts as the system: audited as such, with the owner's reach.
        operator = Principal(workspace=found, role=Role.OWNER)
        try:
            api_key, secret = services.api_key_create(principal=operator, name=name, role=role)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"{api_key.public_key} {secret}")
