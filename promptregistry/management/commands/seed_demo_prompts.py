from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from promptregistry import services
from promptregistry.models import Prompt
from workspaces.models import Membership
from workspaces.principal import Principal
from workspaces.roles import Role

TONE = (
    "Write warmly and plainly. Use short sentences, no jargon, and never promise refunds or "
    "dates you can't confirm."
)
TRIAGE_SYSTEM = (
    "You sort support tickets for {{company}} into one of: billing, bug, how-to.\n{{> shared/tone}}"
)
WELCOME = "Hi {{customer_name}},\n\nWelcome to {{company}}! Reply to this email if you need us."


class Command(BaseCommand):
    help = "Give a workspace a few example prompts (once), so a new install has something to open."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", default="demo", help="Workspace slug")

    @transaction.atomic
    def handle(self, *args, workspace: str, **options):
        owner = (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace__slug=workspace, role=Role.OWNER)
            .first()
        )
        if owner is None:
            raise CommandError(f"No workspace {workspace!r} with an owner.")
        if Prompt.objects.filter(workspace=owner.workspace).exists():
            return
        principal = Principal.for_membership(owner)
        services.prompt_create(
            principal=principal,
            name="shared/tone",
            kind=Prompt.Kind.SNIPPET,
            description="How we sound in every customer-facing prompt.",
            version_content={"text": TONE},
            commit_message="First version",
            labels=["production"],
        )
        services.prompt_create(
            principal=principal,
            name="support/triage",
            prompt_type=Prompt.Type.CHAT,
            description="Sorts incoming tickets into billing, bugs and how-to questions.",
            tags=["support"],
            version_content={
                "messages": [
                    {"role": "system", "content": TRIAGE_SYSTEM},
                    {"type": "placeholder", "name": "history"},
                    {"role": "user", "content": "{{ticket}}"},
                ]
            },
            config={"model": "local-demo", "temperature": 0},
            commit_message="First version",
            labels=["production", "staging"],
        )
        services.prompt_create(
            principal=principal,
            name="onboarding/welcome-email",
            prompt_type=Prompt.Type.TEXT,
            description="The first email a new customer gets.",
            tags=["onboarding"],
            version_content={"text": WELCOME},
            commit_message="First version",
            labels=["production"],
        )
        self.stdout.write("Added example prompts to the demo workspace.")
