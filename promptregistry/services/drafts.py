from django.db import transaction
from django.utils import timezone

from workspaces.principal import Principal

from ..models import Draft, Prompt

MAX_DRAFT_BYTES = 500_000


@transaction.atomic
def draft_save(*, principal: Principal, prompt: Prompt, data: dict, base_number: int) -> Draft:
    """Keep what the editor holds, as typed (even if it doesn't validate yet)."""
    draft, _ = Draft.objects.update_or_create(
        prompt=prompt,
        user=principal.user,
        defaults={"data": data, "base_number": base_number, "updated_at": timezone.now()},
    )
    return draft


@transaction.atomic
def draft_discard(*, principal: Principal, prompt: Prompt) -> None:
    Draft.objects.filter(prompt=prompt, user=principal.user).delete()
