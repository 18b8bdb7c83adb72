from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from . import throttle
from .forms import ProfileForm, SignInForm, SignUpForm
from .models import User
from .services import user_create


def signup_open() -> bool:
    return settings.PROMPTOPS_SIGNUP == "open" or not User.objects.exists()


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignInForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend="accounts.backends.EmailBackend")
        return redirect(_next_url(request))
    status = 200 if request.method == "GET" else 400
    return render(
        request,
        "accounts/sign_in.html",
        {
            # After a failed POST the only copy of next is the form's hidden field.
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "form": form,
            "signup_open": signup_open(),
        },
        status=status,
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a new password also lifts the account's sign-in block (SIGN_IN_BLOCKED
    tells a blocked person to reset their password)."""

    def form_valid(self, form):
        throttle.clear(form.user.email)
        return super().form_valid(form)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if not signup_open():
        return render(request, "accounts/sign_up_closed.html", status=403)
    first_account = not User.objects.exists()
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_create(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            name=form.cleaned_data["name"],
        )
        login(request, user, backend="accounts.backends.EmailBackend")
        messages.success(request, "Welcome to PromptOps. Create your first workspace to begin.")
        return redirect("workspaces:create")
    return render(
        request,
        "accounts/sign_up.html",
        {"form": form, "first_account": first_account},
        status=200 if request.method == "GET" else 400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form},
        status=200 if request.method == "GET" else 400,
    )
