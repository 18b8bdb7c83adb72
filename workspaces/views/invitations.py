"""Invitations: the admin's list and form, and the invitee's acceptance page."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import SignUpForm
from accounts.models import User
from accounts.services import user_create

from .. import access, services
from ..forms import InvitationForm
from ..models import Invitation
from ..principal import WorkspaceRequest
from ..roles import Action
from .helpers import apply_validation_error, paginate


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@login_required
@require_http_methods(["GET", "POST"])
def invitation_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.MANAGE_MEMBERS)
    form = InvitationForm(request.POST or None, inviter_role=request.principal.role)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                principal=request.principal,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site_url=_site_url(request),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("workspaces:invitations", slug)
    invitations = Invitation.objects.filter(workspace=workspace).select_related("invited_by")
    show = request.GET.get("show", "open")
    if show == "open":
        invitations = invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return render(
        request,
        "workspaces/invitations.html",
        {
            "nav_section": "invitations",
            "form": form,
            "show": show,
            "page_obj": paginate(request, invitations),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def invitation_resend(request: WorkspaceRequest, slug: str, invitation_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_MEMBERS)
    invitation = access.invitation_for(request, invitation_id, need=Action.MANAGE_MEMBERS)
    try:
        services.invitation_resend(
            principal=request.principal, invitation=invitation, site_url=_site_url(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"A new link was sent to {invitation.email}; the old one no longer works."
        )
    return redirect("workspaces:invitations", slug)


@login_required
@require_POST
def invitation_revoke(request: WorkspaceRequest, slug: str, invitation_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_MEMBERS)
    invitation = access.invitation_for(request, invitation_id, need=Action.MANAGE_MEMBERS)
    try:
        services.invitation_revoke(principal=request.principal, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return redirect("workspaces:invitations", slug)


@sensitive_variables("token")
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the link from the email. Works for new people and existing accounts."""
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return render(request, "workspaces/invitation_invalid.html", status=404)
    context = {"invitation": invitation, "token": token}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            return render(
                request,
                "workspaces/invitation_accept.html",
                context | {"wrong_account": True},
                status=403,
            )
        if request.method == "POST":
            return _accept(request, token, user)
        return render(request, "workspaces/invitation_accept.html", context)
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    form = None if has_account else SignUpForm(request.POST or None, fixed_email=invitation.email)
    if request.method == "POST" and form is not None and form.is_valid():
        new_user = user_create(
            email=invitation.email,
            password=form.cleaned_data["password"],
            name=form.cleaned_data["name"],
        )
        login(request, new_user, backend="accounts.backends.EmailBackend")
        return _accept(request, token, new_user)
    return render(
        request,
        "workspaces/invitation_accept.html",
        context | {"form": form, "has_account": has_account},
        status=400 if form is not None and form.errors else 200,
    )


def _accept(request: HttpRequest, token: str, user: User) -> HttpResponse:
    try:
        membership = services.invitation_accept(token=token, user=user)
    except (ValidationError, PermissionDenied):
        return render(request, "workspaces/invitation_invalid.html", status=404)
    messages.success(
        request,
        f"Welcome to “{membership.workspace.name}”. "
        f"You joined as {membership.get_role_display().lower()}.",
    )
    return redirect("workspaces:overview", membership.workspace.slug)
