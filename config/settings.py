"""PromptOps settings: every value comes from the environment, read here and only here.

The embedded default (no variables set) runs on SQLite under var/, kombu's filesystem
broker and generated secrets, so `make run` works on a fresh machine without servers.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PROMPTOPS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "embedded" (the default: one machine, no servers needed) or "production" (PostgreSQL, Redis,
# secrets from the environment, HTTPS-only cookies). Production refuses to start half-configured.
PROMPTOPS_MODE = os.environ.get("PROMPTOPS_MODE", "embedded")
PRODUCTION = PROMPTOPS_MODE == "production"
if PROMPTOPS_MODE not in {"embedded", "production"}:
    raise ValueError("PROMPTOPS_MODE must be 'embedded' or 'production'.")
if PRODUCTION:
    _missing = [
        name
        for name in ("SECRET_KEY", "PROMPTOPS_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL")
        if not os.environ.get(name)
    ]
    if _missing:
        raise ValueError(
            "Production mode needs these environment variables: " + ", ".join(_missing)
        )


def secret_from_env_or_file(name: str, filename: str, generate) -> str:
    """Production sets the variable; the embedded default keeps a generated value in var/."""
    value = os.environ.get(name)
    if value:
        return value
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG")
SECRET_KEY = secret_from_env_or_file("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
PROMPTOPS_ENCRYPTION_KEY = secret_from_env_or_file(
    "PROMPTOPS_ENCRYPTION_KEY", "encryption_key", lambda: Fernet.generate_key().decode()
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Addresses of the reverse proxies whose X-Forwarded-For/-Proto the web server believes (empty:
# none): the client address sign-in throttling counts must be the client's, not the proxy's.
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS")
# Threads per web process for synchronous views (config/asgi.py); async views need none.
PROMPTOPS_WEB_THREADS = int(os.environ.get("PROMPTOPS_WEB_THREADS", "8"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "guardian",
    "ninja",
    "accounts",
    "workspaces",
    "promptregistry",
    "gateway",
    "playground",
    "evaluations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspaces.context_processors.workspace_nav",
            ],
            "builtins": ["django_htmx.templatetags.django_htmx"],
        },
    }
]

# Database: DATABASE_URL (PostgreSQL in production), else SQLite in WAL mode under var/.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # psycopg's pool, shared by a process's threads. Under ASGI each request runs its
        # synchronous parts on a thread of its own, so connections kept per thread
        # (CONN_MAX_AGE) would pile up one per request, and connecting per request was a
        # quarter of a gateway call (bench/README.md, B1). DATABASE_POOL=0 connects per request.
        DATABASE_POOL = env_bool("DATABASE_POOL", default=True)
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = (
            {
                "min_size": 1,
                "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "20")),
                # A request waiting longer than this for a connection fails instead of queueing.
                "timeout": 10,
                "max_idle": 300,
            }
            if DATABASE_POOL
            else False
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "promptops.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the broker and the cache in production; the embedded default needs no server.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache with its redis-py client reused (config/redis_cache.py).
            "BACKEND": "config.redis_cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "promptops",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "promptops",
        }
    }

CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # An unacknowledged message (acks_late: its worker died mid-task) goes back to the queue
    # once it is this old: longer than a task normally runs, so a live task is rarely handed
    # out twice (and a second delivery is still counted once: evaluations/services/runs.py).
    # The workers' threads pool enforces no time limit; the gateway's per-attempt timeouts
    # bound a task (docs/operators.md, "Workers"). Tests lower it to see a killed worker's
    # items redelivered quickly.
    _visibility = int(os.environ.get("PROMPTOPS_BROKER_VISIBILITY_TIMEOUT", "900"))
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": _visibility,
        "unacked_restore_interval": max(1, min(10, _visibility // 4)),
        "unacked_restore_throttle": 1,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    for _folder in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Worker control messages; kombu's default is a "control" folder in the cwd.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
# Enforced by the prefork pool only (the default workers run the threads pool).
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An evaluation item pending this long (no worker took it, or its worker died between handing
# it out and sending its message) is enqueued again by the beat task below.
EVALUATIONS_STALLED_AFTER_SECONDS = int(
    os.environ.get("PROMPTOPS_EVALUATIONS_STALLED_AFTER", str(CELERY_TASK_TIME_LIMIT + 60))
)
# Periodic tasks. Beat runs inside the worker under `make run` (scripts/run-embedded.sh: -B);
# production runs exactly one `celery -A config beat` (docs/operators.md).
CELERY_BEAT_SCHEDULE = {
    "gateway-rollups": {
        "task": "gateway.rollup_completions",
        "schedule": 60.0,
        "options": {"expires": 55},  # a run that waited past the next one is skipped
    },
    "gateway-retention": {"task": "gateway.delete_expired_completions", "schedule": 3600.0},
    # Hands out again the items of evaluation runs whose task was lost (the filesystem broker
    # forgets a message its worker died with; see evaluations/services/runs.py).
    "evaluations-resume-stalled": {
        "task": "evaluations.resume_stalled_runs",
        "schedule": float(min(60, EVALUATIONS_STALLED_AFTER_SECONDS)),
        "options": {"expires": min(55, EVALUATIONS_STALLED_AFTER_SECONDS)},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.EmailBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "workspaces:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# Sign-up: "invite-only" (default) or "open".
PROMPTOPS_SIGNUP = os.environ.get("PROMPTOPS_SIGNUP", "invite-only")
# Failed sign-ins allowed per account and per client address within the window.
SIGN_IN_MAX_FAILURES = int(os.environ.get("PROMPTOPS_SIGN_IN_MAX_FAILURES", "5"))
SIGN_IN_WINDOW_SECONDS = int(os.environ.get("PROMPTOPS_SIGN_IN_WINDOW_SECONDS", "900"))
INVITATION_VALID_DAYS = 7
PROMPTOPS_ALLOW_PRIVATE_PROVIDERS = env_bool(
    "PROMPTOPS_ALLOW_PRIVATE_PROVIDERS", default=not DATABASE_URL
)
PROMPTOPS_DEMO_MODEL_URL = os.environ.get("PROMPTOPS_DEMO_MODEL_URL", "http://127.0.0.1:8001/v1")
# GET /metrics (Prometheus) answers requests bearing this token; unset: /metrics is a 404.
PROMPTOPS_METRICS_TOKEN = os.environ.get("PROMPTOPS_METRICS_TOKEN", "")

# Email: EMAIL_URL (smtp://user:pass@host:port, smtp+tls://..., console://), else console.
EMAIL_URL = os.environ.get("EMAIL_URL", "console://")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "PromptOps <promptops@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_URL.startswith("console"):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif EMAIL_URL.startswith("smtp"):
    from urllib.parse import unquote, urlsplit

    _email = urlsplit(EMAIL_URL)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email.hostname or "localhost",
                "port": _email.port or 25,
                "username": unquote(_email.username or ""),
                "password": unquote(_email.password or ""),
                "use_tls": _email.scheme == "smtp+tls",
                "use_ssl": _email.scheme == "smtps",
                "timeout": 20,
            },
        }
    }
else:
    raise ValueError("EMAIL_URL must start with smtp://, smtp+tls://, smtps:// or console://")

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request until collectstatic ran
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not env_bool("PROMPTOPS_PLAIN_STATIC")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("PROMPTOPS_HTTPS", default=PRODUCTION):
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The provider SDKs' HTTP client logs every call at INFO: the completion log has them.
        "httpx2": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
