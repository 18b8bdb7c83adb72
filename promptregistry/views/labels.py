"""Release labels of one prompt: where each points, moves, A/B splits, and the label history.

Every write goes through services.labels (protected labels, audit, LabelMove history, serving
cache invalidation). An editor moving a protected label gets this page back with the reason
next to the field and status 403, so the refusal is both visible and machine-readable.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from workspaces import access
from workspaces.principal import Principal, WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error, paginate

from .. import selectors, services
from ..forms.history import LabelMoveForm, LabelSplitForm, version_choices
from ..models import LATEST, PRODUCTION, Label, LabelMove, Prompt
from ..services.labels import is_protected

HISTORY_PER_PAGE = 20
SUGGESTED_LABELS = (PRODUCTION, "staging")


# --- Shared with the history pages ------------------------------------------------------------


def labels_of(prompt: Prompt) -> list[Label]:
    """The prompt's labels with their versions and who moved each last (one query)."""
    last_move = LabelMove.objects.filter(prompt=prompt, label_name=OuterRef("name")).order_by(
        "-at", "-id"
    )
    return list(
        prompt.labels.select_related("version", "split_version").annotate(
            last_actor=Subquery(last_move.values("actor_label")[:1]),
            last_at=Subquery(last_move.values("at")[:1]),
        )
    )


@dataclass(frozen=True)
class LabelBadge:
    """A label as shown next to a version: "production", or "production 10%" for a split arm."""

    name: str
    percent: int | None = None
    automatic: bool = False

    @property
    def css(self) -> str:
        if self.automatic:
            return "badge-accent"
        return {PRODUCTION: "badge-production", "staging": "badge-staging"}.get(self.name, "")


def badges_by_number(prompt: Prompt, labels: list[Label]) -> dict[int, list[LabelBadge]]:
    badges: dict[int, list[LabelBadge]] = {}
    for label in labels:
        if label.has_split:
            badges.setdefault(label.version.number, []).append(
                LabelBadge(label.name, 100 - label.split_percent)
            )
            badges.setdefault(label.split_version.number, []).append(
                LabelBadge(label.name, label.split_percent)
            )
        else:
            badges.setdefault(label.version.number, []).append(LabelBadge(label.name))
    if prompt.latest_version_number:
        badges.setdefault(prompt.latest_version_number, []).append(
            LabelBadge(LATEST, automatic=True)
        )
    return badges


@dataclass(frozen=True)
class LabelChoice:
    name: str
    locked: bool
    number: int | None


def label_choices(prompt: Prompt, labels: list[Label], principal: Principal) -> list[LabelChoice]:
    """The labels a "Move label here" picker offers: the usual ones, then the prompt's own."""
    numbers = {label.name: label.version.number for label in labels}
    protected = list(prompt.workspace.protected_labels or [])
    names = list(dict.fromkeys([*SUGGESTED_LABELS, *protected, *sorted(numbers)]))
    may_release = principal.can(Action.RELEASE_PROTECTED)
    return [
        LabelChoice(name, is_protected(prompt, name) and not may_release, numbers.get(name))
        for name in names
    ]


def safe_next(request: WorkspaceRequest, url: str | None) -> str | None:
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return None


def prompt_context(prompt: Prompt, tab: str, crumb_tail: str = "") -> dict:
    """What the shared prompt header and breadcrumbs need (_prompt_header.html)."""
    context = {
        "prompt": prompt,
        "active_tab": tab,
        "nav_section": "snippets" if prompt.is_snippet else "prompts",
    }
    if crumb_tail:
        context["crumb_tail"] = crumb_tail
    return context


# --- Pages ------------------------------------------------------------------------------------


def _labels_page(
    request: WorkspaceRequest,
    prompt: Prompt,
    *,
    move_form: LabelMoveForm | None = None,
    split_form: LabelSplitForm | None = None,
    split_label: str | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    principal = request.principal
    labels = labels_of(prompt)
    choices = version_choices(prompt)
    may_release = principal.can(Action.RELEASE_PROTECTED)
    for label in labels:
        label.protected = is_protected(prompt, label.name)
        label.locked = label.protected and not may_release
        label.main_percent = 100 - label.split_percent
        if split_form is not None and label.name == split_label:
            label.split_form = split_form
        else:
            label.split_form = LabelSplitForm(
                choices=[c for c in choices if c[0] != label.version.number],
                initial={"version": prompt.latest_version_number},
                auto_id=f"split-{label.name}-%s",
            )
    set_names = {label.name for label in labels}
    if split_form is not None and split_form.errors and split_label not in set_names:
        # No row shows this form (e.g. "latest", or a label removed meanwhile): say it on top.
        refusal = refusal or " ".join(m for errors in split_form.errors.values() for m in errors)
    unset_protected = [n for n in prompt.workspace.protected_labels or [] if n not in set_names]
    if move_form is None:
        move_form = LabelMoveForm(
            choices=choices, initial={"version": prompt.latest_version_number}, auto_id="move-%s"
        )
    moves = LabelMove.objects.filter(prompt=prompt).order_by("-at", "-id")
    context = {
        **prompt_context(prompt, "labels"),
        "labels": labels,
        "unset_protected": unset_protected,
        "may_release": may_release,
        "move_form": move_form,
        "label_names": list(dict.fromkeys([*SUGGESTED_LABELS, *sorted(set_names)])),
        "page_obj": paginate(request, moves, HISTORY_PER_PAGE),
        "refusal": refusal,
    }
    return render(request, "promptregistry/labels.html", context, status=status)


@login_required
@require_GET
def label_list(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    prompt = selectors.prompt_for(request.principal, name)
    return _labels_page(request, prompt)


@login_required
@require_POST
def label_move(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    form = LabelMoveForm(request.POST, choices=version_choices(prompt), auto_id="move-%s")
    status, refusal = 400, ""
    if form.is_valid():
        label_name = form.cleaned_data["label"]
        try:
            services.label_move(
                principal=request.principal,
                prompt=prompt,
                name=label_name,
                version=selectors.version_of(prompt, form.cleaned_data["version"]),
            )
        except PermissionDenied as error:
            refusal = str(error)
            form.add_error("label", refusal)
            status = 403
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            number = form.cleaned_data["version"]
            messages.success(
                request, f"“{label_name}” now points at version {number}. Apps get it right away."
            )
            return redirect(
                safe_next(request, form.cleaned_data.get("next"))
                or reverse("promptregistry:labels", args=[slug, prompt.name])
            )
    return _labels_page(request, prompt, move_form=form, refusal=refusal, status=status)


@login_required
@require_POST
def label_split(request: WorkspaceRequest, slug: str, name: str, label: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    form = LabelSplitForm(
        request.POST, choices=version_choices(prompt), auto_id=f"split-{label}-%s"
    )
    status, refusal = 400, ""
    if form.is_valid():
        version = selectors.version_of(prompt, form.cleaned_data["version"])
        percent = form.cleaned_data["percent"]
        try:
            services.label_split(
                principal=request.principal,
                prompt=prompt,
                name=label,
                version=version,
                percent=percent,
            )
        except PermissionDenied as error:
            refusal = str(error)
            form.add_error(None, refusal)
            status = 403
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                f"A/B test started: {percent}% of “{label}” traffic now gets version "
                f"{version.number}.",
            )
            return redirect("promptregistry:labels", slug, prompt.name)
    return _labels_page(
        request, prompt, split_form=form, split_label=label, refusal=refusal, status=status
    )


def _end_split(request: WorkspaceRequest, slug: str, name: str, label: str, promote: bool):
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    end = services.label_promote_split if promote else services.label_abort_split
    try:
        moved = end(principal=request.principal, prompt=prompt, name=label)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        number = moved.version.number
        messages.success(
            request,
            f"A/B test promoted: all “{label}” traffic now gets version {number}."
            if promote
            else f"A/B test stopped: all “{label}” traffic gets version {number} again.",
        )
    return redirect("promptregistry:labels", slug, prompt.name)


@login_required
@require_POST
def label_promote(request: WorkspaceRequest, slug: str, name: str, label: str) -> HttpResponse:
    return _end_split(request, slug, name, label, promote=True)


@login_required
@require_POST
def label_abort(request: WorkspaceRequest, slug: str, name: str, label: str) -> HttpResponse:
    return _end_split(request, slug, name, label, promote=False)


@login_required
@require_POST
def label_remove(request: WorkspaceRequest, slug: str, name: str, label: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    try:
        services.label_remove(principal=request.principal, prompt=prompt, name=label)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The label “{label}” is removed.")
    return redirect("promptregistry:labels", slug, prompt.name)
