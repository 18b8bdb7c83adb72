from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import access
from ..forms import AuditFilterForm, audit_actions
from ..principal import WorkspaceRequest
from ..roles import Action
from .helpers import paginate


@login_required
@require_GET
def audit_log(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None, actions=audit_actions(workspace))
    events = workspace.audit_events.all()
    if form.is_bound and form.is_valid():
        events = form.filter(events)
    return render(
        request,
        "workspaces/audit.html",
        {
            "nav_section": "audit",
            "form": form,
            "page_obj": paginate(request, events, per_page=50),
            "filtered": form.is_bound,
        },
        status=400 if form.errors else 200,
    )
