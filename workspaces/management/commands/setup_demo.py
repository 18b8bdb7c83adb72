import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from workspaces import services
from workspaces.models import Workspace

DEMO_EMAIL = "demo@example.com"
DEMO_SLUG = "demo"


class Command(BaseCommand):
    help = "Create (once) the demo workspace and its owner, and print how to sign in."

    @transaction.atomic
    def handle(self, *args, **options):
        password = os.environ.get("PROMPTOPS_DEMO_PASSWORD", "")
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            password = password or secrets.token_urlsafe(12)
            user = User.objects.create_user(
                email=DEMO_EMAIL,
                password=password,
                name="Demo Owner",
                is_staff=True,
                is_superuser=True,
            )
            created_user = True
        else:
            created_user = False
            if password:
                user.set_password(password)
                user.save(update_fields=["password"])
        if not Workspace.objects.filter(slug=DEMO_SLUG).exists():
            services.workspace_create(user=user, name="Demo workspace", slug=DEMO_SLUG)
        # Kept beside the embedded database (mode 600) so every `make run` can print it again.
        login_file = settings.VAR_DIR / "demo-login.txt"
        if created_user or password:
            login_file.write_text(f"Demo login: {DEMO_EMAIL} / {password}\n")
            login_file.chmod(0o600)
        if login_file.exists():
            self.stdout.write(login_file.read_text().strip())
        else:
            self.stdout.write(
                f"Demo login: {DEMO_EMAIL} (set PROMPTOPS_DEMO_PASSWORD to choose a new password)"
            )
