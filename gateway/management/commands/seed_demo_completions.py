"""Fill the demo workspace's request log with generated calls, so its logs and analytics pages
have something to show before any application calls a model.

Demo data only, and says so: it runs on the demo workspace alone (setup_demo's), once (never
when the workspace already has calls), and every row it writes carries `demo: true` in its
metadata, the tag "demo" and a user id starting with "demo-". The calls use the workspace's
own prompts (their labels, versions and A/B splits) and models (their prices), with made-up
timings, token counts, errors and ratings; nothing is sent to any model.
"""

import math
import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from gateway.analytics.rollups import HOUR, floor_hour, rolled_until, rollup_hours
from gateway.models import Completion, Feedback, ProviderModel
from promptregistry.models import Label
from workspaces.models import Membership
from workspaces.roles import Role

DEMO_SLUG = "demo"
ERRORS = [
    ("rate_limited", "The provider answered 429 Too Many Requests after 2 retries."),
    ("timeout", "No answer within the model's total timeout (120 s)."),
    ("server_error", "The provider answered 503 Service Unavailable."),
]
OUTPUTS = [
    "billing",
    "bug",
    "how-to",
    "Hi Sam,\n\nWelcome to Acme! Reply to this email if you need us.",
    "Thanks for reporting this. I've passed it to our engineers and will update you by Friday.",
    "You can change your plan under Settings → Billing. The new price starts next invoice.",
]
TICKETS = [
    "I was charged twice this month",
    "The export button does nothing",
    "How do I invite my team?",
    "Can I get an invoice with our VAT number?",
    "The app logs me out every few minutes",
]


class Command(BaseCommand):
    help = "Generate demo calls in the demo workspace's request log (once; demo data only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default=DEMO_SLUG)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--per-day", type=int, default=180)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, workspace: str, days: int, per_day: int, seed: int, **options):
        owner = (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace__slug=workspace, role=Role.OWNER)
            .first()
        )
        if owner is None:
            raise CommandError(f"No workspace {workspace!r} with an owner: run setup_demo first.")
        if workspace != DEMO_SLUG and not owner.workspace.name.lower().startswith("demo"):
            raise CommandError("Demo calls go only into a demo workspace.")
        if Completion.objects.filter(workspace=owner.workspace).exists():
            self.stdout.write("The workspace already has calls: nothing generated.")
            return
        rng = random.Random(seed)  # noqa: S311 - demo numbers, not secrets
        count = self.generate(owner, days=days, per_day=per_day, rng=rng)
        self.stdout.write(f"Generated {count} demo calls in {workspace}.")

    @transaction.atomic
    def generate(self, owner: Membership, *, days: int, per_day: int, rng: random.Random) -> int:
        workspace = owner.workspace
        arms = _prompt_arms(workspace)
        models = list(
            ProviderModel.objects.filter(workspace=workspace, is_active=True).select_related(
                "provider"
            )
        )
        if not models:
            raise CommandError("The workspace has no models: run setup_demo_models first.")
        now = timezone.now()
        start = now - timedelta(days=days)
        rows = []
        for day in range(days):
            for _ in range(int(per_day * rng.uniform(0.8, 1.2))):
                # Office hours are busier: a bump around 14:00 UTC.
                hour = min(23, max(0, int(rng.gauss(14, 4.5))))
                at = start + timedelta(days=day, hours=hour, seconds=rng.uniform(0, 3600))
                if at >= now:
                    continue
                rows.append(_call(workspace, at, rng, rng.choice(arms), rng.choice(models)))
        rows.sort(key=lambda row: row.created_at)  # ids follow time, as real calls' do
        Completion.objects.bulk_create(rows, batch_size=500)
        _rate(owner, rows, rng)
        # Rows with past times count in analytics once their hours are recomputed.
        rolled = rolled_until()
        if rolled is not None and rows:
            rollup_hours(start=floor_hour(min(r.created_at for r in rows)), end=rolled + HOUR)
        return len(rows)


def _prompt_arms(workspace) -> list[dict | None]:
    """(prompt, version, label, A/B) choices weighted like the labels' traffic; None: raw."""
    arms: list[dict | None] = [None] * 10  # some calls send raw messages
    labels = Label.objects.filter(prompt__workspace=workspace, prompt__deleted_at=None)
    for label in labels.select_related("prompt", "version", "split_version"):
        if label.prompt.kind != "prompt":
            continue
        split = label.split_version if label.split_version_id else None
        for version, share in (
            (label.version, 100 - (label.split_percent if split else 0)),
            (split, label.split_percent if split else 0),
        ):
            if version is None or share <= 0:
                continue
            arm = {"prompt": label.prompt, "version": version.number, "label": label.name}
            arms.extend([arm | {"ab": split is not None}] * max(1, share // 2))
    return arms


def _call(workspace, at, rng: random.Random, arm: dict | None, model: ProviderModel):
    source = rng.choices(["api", "openai", "playground", "evaluation"], [55, 25, 8, 12])[0]
    stream = source in ("openai", "playground") or rng.random() < 0.3
    # Later versions are a little quicker in the demo, so A/B arms differ.
    speed = 0.85 if arm and arm["version"] > 1 else 1.0
    latency = int(rng.lognormvariate(math.log(900 * speed), 0.55))
    queue = rng.randint(2, 25)
    status, error_type, error_message = "ok", "", ""
    roll = rng.random()
    if roll < 0.025:
        status = "error"
        error_type, error_message = rng.choice(ERRORS)
    elif roll < 0.035:
        status = "cancelled"
    input_tokens = rng.randint(180, 1400)
    output_tokens = rng.randint(5, 420) if status != "error" else None
    cost = model.cost(input_tokens, output_tokens) if status != "error" else None
    ticket = rng.choice(TICKETS)
    metadata = {"demo": "true", "customer": rng.choice(["acme-co", "globex", "initech"])}
    return Completion(
        workspace=workspace,
        created_at=at,
        source=source,
        prompt=arm["prompt"] if arm else None,
        prompt_name=arm["prompt"].name if arm else "",
        prompt_version=arm["version"] if arm else None,
        prompt_label=arm["label"] if arm else "",
        ab_split=bool(arm and arm["ab"]),
        provider=model.provider,
        provider_name=model.provider.name,
        model=model,
        model_name=model.name,
        requested_model=model.name,
        input_messages=[
            {"role": "system", "content": "You sort support tickets into billing, bug, how-to."},
            {"role": "user", "content": ticket},
        ],
        variables={"ticket": ticket},
        output_text=rng.choice(OUTPUTS) if status == "ok" else "",
        finish_reason="stop" if status == "ok" else "",
        input_tokens=input_tokens if status != "error" else None,
        output_tokens=output_tokens,
        cost=cost,
        queue_ms=queue,
        ttft_ms=queue + int(latency * rng.uniform(0.15, 0.35))
        if stream and status == "ok"
        else None,
        latency_ms=latency if status != "error" else int(latency * 0.4),
        status=status,
        error_type=error_type,
        error_message=error_message,
        retries=2 if error_type == "rate_limited" else int(rng.random() < 0.03),
        stream=stream,
        metadata=metadata,
        user_ref=f"demo-user-{rng.randint(1, 40)}",
        session_id=f"demo-session-{rng.randint(1, 400)}",
        tags=["demo"],
    )


def _rate(owner: Membership, rows: list[Completion], rng: random.Random) -> None:
    """Some ratings: newer versions get a few more thumbs up."""
    feedback = []
    for row in rows:
        if row.status != "ok" or rng.random() > 0.06:
            continue
        good = 0.78 if (row.prompt_version or 0) > 1 else 0.62
        feedback.append(
            Feedback(
                workspace=row.workspace,
                completion=row,
                score=1 if rng.random() < good else -1,
                comment="",
                created_by=owner.user,
                created_at=min(
                    row.created_at + timedelta(minutes=rng.randint(1, 90)), timezone.now()
                ),
            )
        )
    Feedback.objects.bulk_create(feedback, batch_size=500)
