"""Onramp settings: every value comes from the environment (django-environ).

Defaults are the safe production ones: DEBUG is off unless set, cookies are secure,
HSTS and the HTTPS redirect are on. `make run` exports the development values.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
# The platform's own hostname (the operator's admin lives there); tenant hosts are rows.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost")
# How links in emails reach a tenant's primary host: scheme, and a port when not the default.
SITE_SCHEME = env.str("SITE_SCHEME", default="https")
SITE_PORT = env.str("SITE_PORT", default="")

INSTALLED_APPS = [
    # django.contrib.admin with our site: platform host only, TOTP (apps/core/admin_site.py).
    "apps.core.admin_site.OnrampAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    # django-ninja: the REST API; listed so its Swagger UI is served from our static files.
    "ninja",
    "csp",
    "template_partials",
    "django_scopes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "apps.core",
    "apps.tenancy",
    "apps.accounts",
    "apps.outbox",
    "apps.audit",
    "apps.notifications",
    "apps.webhooks",
    "apps.partners",
    "apps.content",
    "apps.onboarding",
    "apps.applications",
    "apps.milestones",
    "apps.analytics",
    "apps.api",
    "apps.home",
]

MIDDLEWARE = [
    # A request id for the logs and the response (apps/core/request_id.py).
    "apps.core.request_id.RequestIdMiddleware",
    # Refuse an oversized body before anything reads it (apps/core/middleware.py); only the
    # request id, which never touches the body, comes before it.
    "apps.core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.tenancy.middleware.TenantMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "apps.tenancy.context_processors.tenancy",
                "apps.notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Short OLTP queries: PostgreSQL's JIT costs more than it saves (measured in make bench).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Redis, failing over to a database table (with a circuit breaker) while Redis is unreachable:
# pages, sign-in and rate limits keep working (apps/core/cache.py).
CACHES = {
    "default": {
        "BACKEND": "apps.core.cache.FailoverCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "onramp",
        "OPTIONS": {
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
            "BREAKER_SECONDS": env.float("CACHE_BREAKER_SECONDS", default=15.0),
        },
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "apps.accounts.backends.TenantMemberBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: email is the login, no public sign-up (applications are the way in).
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# The set-password link sent on approval is allauth's reset-from-key page: it signs the new
# partner in, straight to the portal.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_FORMS = {"reset_password": "apps.accounts.forms.TenantResetPasswordForm"}
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/5m/key",
    "reset_password_from_key": "20/m/ip",
}
# The real client behind proxies (apps/core/clientip.py), for every rate limit and the admin
# allowlist: headers are believed only when TRUSTED_PROXY_COUNT proxies of ours wrote them.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# allauth reads its header as one address; an X-Forwarded-For list is its proxy-count path.
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = (
    CLIENT_IP_HEADER if CLIENT_IP_HEADER.lower() not in ("", "x-forwarded-for") else None
)
# /admin/ (platform host only) may further be limited to these IPs / CIDRs; empty = any.
ADMIN_ALLOWED_IPS = env.list("ADMIN_ALLOWED_IPS", default=[])
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Onramp"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"

# File storage: local files by default, any S3-compatible store when STORAGE_BACKEND=s3.
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY")
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=60)
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_SIGNATURE_VERSION = env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4")
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: EMAIL_URL (smtp://, smtp+tls://, filemail:///path, consolemail://).
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
if _email.get("EMAIL_FILE_PATH"):
    # filemail:///abs/path: django-environ drops the leading slash of the URL's path.
    _email["EMAIL_FILE_PATH"] = "/" + _email["EMAIL_FILE_PATH"].lstrip("/")
globals().update(_email)
# Sent through apps/outbox/mail_backend.py: the configured backend, with a Message-ID stable
# per outbox row (a repeat after a killed worker is the same message to the recipient).
OUTBOX_EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_BACKEND = "apps.outbox.mail_backend.StableMessageIdBackend"
# Seconds an SMTP connection may block (a hung server must not hold a worker forever).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Onramp <no-reply@onramp.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: safe by default, relaxed only by DEBUG or explicit variables.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Content-Security-Policy (django-csp 4): our own scripts and styles only, no inline script.
# Inline style *attributes* stay allowed (style-src-attr): progress bars carry their width
# and the portal its brand colour (--brand) in one; <style> elements stay refused.
_img_src = ["'self'", "data:"]
if STORAGE_BACKEND == "s3":
    # Uploaded logos and images are redirects to presigned URLs on the bucket's endpoint.
    from urllib.parse import urlsplit as _urlsplit

    if AWS_S3_ENDPOINT_URL:
        _endpoint = _urlsplit(AWS_S3_ENDPOINT_URL)
        _img_src += [
            f"{_endpoint.scheme}://{_endpoint.netloc}",
            f"{_endpoint.scheme}://{AWS_STORAGE_BUCKET_NAME}.{_endpoint.netloc}",
        ]
    else:  # AWS itself: the bucket's virtual host, with and without the region
        _img_src += [f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"]
        if AWS_S3_REGION_NAME:
            _img_src += [f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": _img_src,
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The largest request body accepted (bytes), refused with 413 before Django reads it. Above
# the largest upload a form allows: an onboarding action's default 5 files of 25 MB.
MAX_REQUEST_BODY = env.int("MAX_REQUEST_BODY", default=150 * 1024 * 1024)
# Uploads larger than this are streamed to disk rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery: JSON only, late acknowledgement that survives a killed worker, one beat.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Longer than any task's hard time limit, so a running task is never delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_REDBEAT_REDIS_URL = env.str("REDBEAT_REDIS_URL", default=REDIS_URL)
CELERY_REDBEAT_LOCK_TIMEOUT = 60
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues: the default worker consumes "celery" (emails, sweeps, everything else); the
# automatic stage move (the outbox kind onboarding.advance) is nudged on a queue of its own,
# consumed by a worker of its own (`celery worker -Q advance`), so a backlog of emails never
# delays a move. Routed per call (the outbox's one delivery task serves every kind, so a
# CELERY_TASK_ROUTES entry by task name cannot tell them apart): apps/onboarding/tasks.py
# registers the kind with queue=ONBOARDING_ADVANCE_QUEUE. Empty: the default queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
ONBOARDING_ADVANCE_QUEUE = env.str("ONBOARDING_ADVANCE_QUEUE", default="advance")
# /healthz: 503 when a periodic job (sweep, reconcile, outbox) last ran longer ago than this
# many seconds, or when more outbox messages than this have waited over five minutes.
HEALTH_MAX_SWEEP_AGE = env.int("HEALTH_MAX_SWEEP_AGE", default=600)
HEALTH_MAX_OUTBOX_BACKLOG = env.int("HEALTH_MAX_OUTBOX_BACKLOG", default=500)

# REST API (apps/api): each key's token bucket holds API_RATE_BURST requests, refilled at
# API_RATE_LIMIT per minute (Redis; fail open when Redis is down). The request log of each
# key is kept API_REQUEST_LOG_DAYS days.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_BURST = env.int("API_RATE_BURST", default=120)
API_REQUEST_LOG_DAYS = env.int("API_REQUEST_LOG_DAYS", default=30)

# Outgoing webhooks (apps/webhooks): seconds one delivery attempt may take; plain http:// and
# endpoints on private, loopback or link-local addresses are refused unless allowed here
# (server-side request forgery); failing deliveries are retried for WEBHOOK_RETRY_HOURS, and
# an endpoint failing without a success for WEBHOOK_DISABLE_AFTER_HOURS is disabled.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False)
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)

# Every line names its request (or Celery task) id and tenant (apps/core/request_id.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "apps.core.request_id.RequestContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[req=%(request_id)s tenant=%(tenant)s] %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Error reporting: Sentry (Django and Celery) when SENTRY_DSN is set; no personal data sent.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
