from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from workspaces import audit
from workspaces.principal import Principal

from ..models import Comment, PromptVersion

MAX_BODY = 10_000


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something before posting."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"Comments are at most {MAX_BODY} characters."})
    return body


@transaction.atomic
def comment_create(*, principal: Principal, version: PromptVersion, body: str) -> Comment:
    comment = Comment(version=version, author=principal.user, body=_clean_body(body))
    comment.save()
    audit.record(
        principal=principal,
        action="comment.create",
        target=version.prompt,
        target_label=f"{version.prompt.name} v{version.number}",
    )
    return comment


def _check_own(principal: Principal, comment: Comment) -> None:
    if principal.user is None or comment.author_id != principal.user.pk:
        raise PermissionDenied("You can only change your own comments.")


@transaction.atomic
def comment_update(*, principal: Principal, comment: Comment, body: str) -> Comment:
    _check_own(principal, comment)
    comment.body = _clean_body(body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


@transaction.atomic
def comment_delete(*, principal: Principal, comment: Comment) -> None:
    _check_own(principal, comment)
    audit.record(
        principal=principal,
        action="comment.delete",
        target=comment.version.prompt,
        target_label=f"{comment.version.prompt.name} v{comment.version.number}",
        data={"before": {"body": comment.body[:500]}},
    )
    comment.delete()
