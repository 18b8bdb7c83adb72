"""make run's demo playground: a session on the seeded "support/triage" prompt with three
columns (the echo, the "fast" alias and a slower echo that streams word by word), filled
variables and a three-row inputs grid, and a first run that streams when the page is opened.
Run again, it changes nothing. Needs setup_demo, seed_demo_prompts and setup_demo_models."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from gateway.models import Provider, ProviderModel
from promptregistry.models import Prompt
from workspaces.models import Membership, Workspace
from workspaces.principal import Principal
from workspaces.roles import Role

from ... import services
from ...models import Session
from ...selectors import setup_for_version
from ...setup import Column

TITLE = "Triage: three models side by side"
SLOW_MODEL = "local-demo-slow"  # the demo model server streams fake-slow-* a word at a time
VARIABLES = {"company": "Acme", "ticket": "I was charged twice for my March invoice."}
GRID = (
    "ticket\n"
    "The export button does nothing in Firefox.\n"
    "How do I add a teammate to my workspace?\n"
    "Please refund the duplicate payment from last week."
)


class Command(BaseCommand):
    help = "Add a demo playground session to a workspace (default: demo), once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default="demo")

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}: run setup_demo first.")
        provider = Provider.objects.filter(workspace=workspace, name="Local demo model").first()
        prompt = Prompt.objects.filter(workspace=workspace, name="support/triage").first()
        owner = (
            Membership.objects.filter(workspace=workspace, role=Role.OWNER)
            .select_related("user")
            .first()
        )
        if provider is None or prompt is None or owner is None:
            raise CommandError("Run seed_demo_prompts and setup_demo_models first.")
        ProviderModel.objects.get_or_create(
            workspace=workspace,
            name=SLOW_MODEL,
            defaults={
                "provider": provider,
                "upstream_name": "fake-slow-0.06",
                "display_name": "Local demo model, a word at a time (to watch streaming)",
            },
        )
        if Session.objects.filter(workspace=workspace, title=TITLE).exists():
            return
        principal = Principal(workspace=workspace, role=Role.OWNER, user=owner.user)
        setup = setup_for_version(principal, prompt.name, None)
        setup.title, setup.variables, setup.grid = TITLE, dict(VARIABLES), GRID
        setup.columns = [
            Column(model="local-demo"),
            Column(model="fast", temperature=0.2),
            Column(model=SLOW_MODEL, max_tokens=60),
        ]
        session = services.session_save(principal=principal, setup=setup)
        services.run_start(principal=principal, session=session, setup=setup)
        self.stdout.write(f"Demo playground session {session.pk} added.")
