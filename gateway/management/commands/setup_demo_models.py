"""Give the demo workspace the local demo model, so a completion works out of the box.

`make run` runs this after setup_demo (scripts/run-embedded.sh): a provider "Local demo model"
(OpenAI-compatible, at PROMPTOPS_DEMO_MODEL_URL, where `manage.py demo_model_server` answers)
with the model "local-demo" (the echo the seeded prompts name) and the alias "fast". Run again,
it only points the provider at the current URL.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from gateway.models import ModelAlias, Provider, ProviderModel
from workspaces.models import Workspace

PROVIDER_NAME = "Local demo model"
MODELS = [("local-demo", "Local demo model (an echo, not an LLM)")]
ALIASES = [("fast", "local-demo")]


class Command(BaseCommand):
    help = "Add the local demo model provider to a workspace (default: demo), once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default="demo")

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}: run setup_demo first.")
        url = settings.PROMPTOPS_DEMO_MODEL_URL.rstrip("/")
        provider, created = Provider.objects.get_or_create(
            workspace=workspace,
            name=PROVIDER_NAME,
            defaults={"kind": Provider.Kind.OPENAI_COMPATIBLE, "base_url": url},
        )
        if not created and provider.base_url != url:
            provider.base_url = url
            provider.save(update_fields=["base_url"])
        for name, display_name in MODELS:
            ProviderModel.objects.get_or_create(
                workspace=workspace,
                name=name,
                defaults={
                    "provider": provider,
                    "upstream_name": name,
                    "display_name": display_name,
                    "input_price_per_million": 0,
                    "output_price_per_million": 0,
                    "price_source": ProviderModel.PriceSource.MANUAL,
                },
            )
        for alias, target in ALIASES:
            model = ProviderModel.objects.filter(workspace=workspace, name=target).first()
            taken = ProviderModel.objects.filter(workspace=workspace, name=alias).exists()
            if model is not None and not taken:
                ModelAlias.objects.get_or_create(
                    workspace=workspace, name=alias, defaults={"model": model}
                )
        if created:
            self.stdout.write(f"Added the provider “{PROVIDER_NAME}” at {url}.")
