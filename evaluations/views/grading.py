"""The human grading queue of a run: one item at a time, keyboard-driven (1-5 score, j/k next
and previous, c comment), with progress, the automatic scores beside the reviewer's."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from ..forms import GradeForm
from ..models import EvaluationResult, HumanGrade
from ..selectors import run_for
from ..services.grading import human_grade_set
from .helpers import cursor

PAGE = "evaluations/grading.html"


def _queue(run):
    return EvaluationResult.objects.filter(run=run).exclude(status=EvaluationResult.Status.PENDING)


def _next_ungraded(run, user, after: int = 0):
    graded = HumanGrade.objects.filter(result__run=run, grader=user).values("result_id")
    queue = _queue(run).exclude(pk__in=graded).order_by("position")
    return (
        queue.filter(position__gt=after).values_list("position", flat=True).first()
        or queue.values_list("position", flat=True).first()
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_grade(request: WorkspaceRequest, slug: str, run_id: int) -> HttpResponse:
    need = Action.READ if request.method == "GET" else Action.GIVE_FEEDBACK
    access.workspace_for(request, slug, need=need)
    run = run_for(request.principal, run_id, need=need)
    position = cursor(request, "position")
    if position is None:
        position = _next_ungraded(run, request.user) or 1
    result = _queue(run).select_related("item").filter(position=position).first()
    if result is None:
        result = _queue(run).select_related("item").order_by("position").first()
    mine = HumanGrade.objects.filter(result=result, grader=request.user).first() if result else None
    form = GradeForm(
        request.POST or None,
        initial={"score": mine.score, "comment": mine.comment} if mine else None,
    )
    if request.method == "POST" and result is not None and form.is_valid():
        try:
            human_grade_set(
                principal=request.principal,
                result=result,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            following = _next_ungraded(run, request.user, after=result.position)
            url = reverse("evaluations:run-grade", args=[slug, run.pk])
            return redirect(f"{url}?position={following}" if following else f"{url}?done=1")
    total = _queue(run).count()
    graded = HumanGrade.objects.filter(result__run=run, grader=request.user).count()
    neighbours = _queue(run)
    context = {
        "nav_section": "runs",
        "run": run,
        "result": result,
        "form": form,
        "mine": mine,
        "others": list(
            HumanGrade.objects.filter(result=result)
            .exclude(grader=request.user)
            .select_related("grader")
        )
        if result
        else [],
        "total": total,
        "graded": graded,
        "percent": int(100 * graded / total) if total else 0,
        "done": request.GET.get("done") == "1",
        "previous": neighbours.filter(position__lt=result.position)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
        if result
        else None,
        "next": neighbours.filter(position__gt=result.position)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
        if result
        else None,
        "can_grade": request.principal.can(Action.GIVE_FEEDBACK),
    }
    return render(request, PAGE, context, status=422 if form.errors else 200)
