"""Writes on workspaces, memberships, invitations and API keys. Each one is audited."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

from . import audit
from .models import ApiKey, Invitation, Membership, Workspace, hash_token
from .principal import Principal
from .roles import Action, Role, role_at_least


@transaction.atomic
def workspace_create(*, user: User, name: str, slug: str) -> Workspace:
    workspace = Workspace(name=name.strip(), slug=slug.strip().lower())
    workspace.full_clean()
    workspace.save()
    membership = Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    audit.record(
        principal=Principal.for_membership(membership),
        action="workspace.create",
        target=workspace,
        data={"after": {"name": workspace.name, "slug": workspace.slug}},
    )
    return workspace


@transaction.atomic
def workspace_update(
    *, principal: Principal, workspace: Workspace, name: str, protected_labels: list[str]
) -> Workspace:
    before = {"name": workspace.name, "protected_labels": workspace.protected_labels}
    workspace.name = name.strip()
    workspace.protected_labels = sorted(set(protected_labels))
    workspace.full_clean()
    workspace.save(update_fields=["name", "protected_labels"])
    after = {"name": workspace.name, "protected_labels": workspace.protected_labels}
    if before != after:
        audit.record(
            principal=principal,
            action="workspace.update",
            target=workspace,
            data={"before": before, "after": after},
        )
    return workspace


def _check_owner_change(principal: Principal, membership: Membership, new_role: str | None):
    """Only owners touch owners; a workspace never loses its last owner."""
    touches_owner = membership.role == Role.OWNER or new_role == Role.OWNER
    if touches_owner and not principal.can(Action.MANAGE_OWNERS):
        raise PermissionDenied("Only an owner can change who the owners are.")
    losing_owner = membership.role == Role.OWNER and new_role != Role.OWNER
    if losing_owner:
        owners = (
            Membership.objects.select_for_update().owners().filter(workspace=membership.workspace)
        )
        if owners.count() <= 1:
            raise ValidationError(
                "A workspace needs at least one owner. Make someone else an owner first."
            )


@transaction.atomic
def membership_change_role(
    *, principal: Principal, membership: Membership, role: str
) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    if role == membership.role:
        return membership
    _check_owner_change(principal, membership, role)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        principal=principal,
        action="member.role_change",
        target=membership,
        target_label=membership.user.email,
        data={"before": {"role": before}, "after": {"role": role}},
    )
    return membership


@transaction.atomic
def membership_remove(*, principal: Principal, membership: Membership) -> None:
    leaving_self = principal.user is not None and membership.user_id == principal.user.pk
    if not leaving_self and not principal.can(Action.MANAGE_MEMBERS):
        raise PermissionDenied("Your role may not remove members.")
    if membership.role == Role.OWNER:
        _check_owner_change(principal, membership, None)
    email = membership.user.email
    role = membership.role
    audit.record(
        principal=principal,
        action="member.leave" if leaving_self else "member.remove",
        target=membership,
        target_label=email,
        data={"before": {"role": role}},
    )
    membership.delete()


@transaction.atomic
def ownership_transfer(*, principal: Principal, to: Membership) -> None:
    """The acting owner hands ownership to another member and becomes an admin."""
    if not principal.can(Action.MANAGE_OWNERS) or principal.user is None:
        raise PermissionDenied("Only an owner can transfer ownership.")
    if to.user_id == principal.user.pk:
        raise ValidationError("You already own this workspace.")
    mine = Membership.objects.select_for_update().get(
        workspace=principal.workspace, user=principal.user
    )
    to.role = Role.OWNER
    to.save(update_fields=["role"])
    mine.role = Role.ADMIN
    mine.save(update_fields=["role"])
    audit.record(
        principal=principal,
        action="workspace.transfer_ownership",
        target=to,
        target_label=to.user.email,
        data={"before": {"owner": principal.user.email}, "after": {"owner": to.user.email}},
    )


def _check_grantable(principal: Principal, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    if not role_at_least(principal.role, role):
        raise ValidationError({"role": "You can't grant a role higher than your own."})
    if role == Role.OWNER and not principal.can(Action.MANAGE_OWNERS):
        raise ValidationError({"role": "Only an owner can invite another owner."})


def _send_invitation_email(invitation: Invitation, token: str, site_url: str) -> None:
    link = site_url.rstrip("/") + reverse("workspaces:invitation-accept", args=[token])
    context = {"invitation": invitation, "link": link, "valid_days": settings.INVITATION_VALID_DAYS}
    send_mail(
        subject=f"You're invited to {invitation.workspace.name} on PromptOps",
        message=render_to_string("workspaces/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_create(*, principal: Principal, email: str, role: str, site_url: str) -> Invitation:
    email = email.strip().lower()
    _check_grantable(principal, role)
    workspace = principal.workspace
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of this workspace."})
    stale = Invitation.objects.filter(
        workspace=workspace, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    )
    if stale.filter(expires_at__gt=timezone.now()).exists():
        raise ValidationError(
            {"email": f"{email} already has a pending invitation. Resend it from the list."}
        )
    stale.update(revoked_at=timezone.now())  # expired ones make way for the new one
    invitation = Invitation(workspace=workspace, email=email, role=role, invited_by=principal.user)
    token = invitation.new_token()
    invitation.full_clean()
    invitation.save()
    audit.record(
        principal=principal,
        action="invitation.create",
        target=invitation,
        target_label=email,
        data={"after": {"email": email, "role": role}},
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, token, site_url))
    return invitation


def _lock_open(invitation: Invitation) -> Invitation:
    """The invitation re-read under a row lock: one being accepted right now waits for that
    to finish, then counts as no longer open (invitation_accept takes the same lock)."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at or locked.revoked_at:
        raise ValidationError("This invitation is no longer open.")
    return locked


@transaction.atomic
def invitation_resend(*, principal: Principal, invitation: Invitation, site_url: str) -> Invitation:
    invitation = _lock_open(invitation)
    token = invitation.new_token()  # the old link stops working
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit.record(
        principal=principal,
        action="invitation.resend",
        target=invitation,
        target_label=invitation.email,
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, token, site_url))
    return invitation


@transaction.atomic
def invitation_revoke(*, principal: Principal, invitation: Invitation) -> None:
    invitation = _lock_open(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        principal=principal,
        action="invitation.revoke",
        target=invitation,
        target_label=invitation.email,
    )


def invitation_by_token(token: str) -> Invitation | None:
    """The open invitation a link points at, or None when it is used, revoked, expired or bogus."""
    return (
        Invitation.objects.pending()
        .select_related("workspace", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    if invitation is None or invitation.status != "pending":
        raise ValidationError("This invitation link is no longer valid.")
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(f"This invitation was sent to {invitation.email}.")
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if created:
        audit.record(
            principal=Principal.for_membership(membership),
            action="member.join",
            target=membership,
            target_label=user.email,
            data={"after": {"role": membership.role}, "invitation": invitation.pk},
        )
    return membership


@transaction.atomic
def api_key_create(*, principal: Principal, name: str, role: str) -> tuple[ApiKey, str]:
    _check_grantable(principal, role)
    api_key = ApiKey(
        workspace=principal.workspace,
        name=name.strip(),
        role=role,
        created_by=principal.user,
        # No member and no key acting: the operator's manage.py create_api_key.
        issued_by_operator=principal.user is None and principal.api_key is None,
    )
    secret = api_key.issue_secret()
    api_key.full_clean()
    api_key.save()
    audit.record(
        principal=principal,
        action="api_key.create",
        target=api_key,
        data={"after": {"name": api_key.name, "role": role, "public_key": api_key.public_key}},
    )
    return api_key, secret


@transaction.atomic
def api_key_revoke(*, principal: Principal, api_key: ApiKey) -> None:
    if api_key.revoked_at is not None:
        return
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit.record(principal=principal, action="api_key.revoke", target=api_key)
