"""Previsit settings shared by every environment. Everything comes from the environment.

The defaults are for trying the app on a laptop: SQLite, a broker that needs no
server, email to the console. Real use sets DATABASE_URL, REDIS_URL and the email
settings (see README "Deploying").
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .devkey import development_field_key, development_secret_key
from .envtools import env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PREVISIT_VAR_DIR", BASE_DIR / "var"))
env = environ.Env()

# --- Core -----------------------------------------------------------------------------------
# A development key is generated per checkout and kept out of git; production refuses to start
# without SECRET_KEY (see production.py).
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    SECRET_KEY = development_secret_key(VAR_DIR)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "clinic.apps.PrevisitAdminConfig",  # django.contrib.admin behind our sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "auditlog",
    "csp",
    "clinic",
    "intake",
    "advice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL in a query string is a 400 naming the parameter, not a database error.
    "clinic.http.RefuseNulInQueries",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Session limits and the second factor; needs the user, the OTP device, messages, htmx.
    "clinic.staff.sessions.SessionLimitsMiddleware",
    # Who and from where, for every audit entry the request writes.
    "clinic.audit.trail.AuditContextMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
ASGI_APPLICATION = "clinic.asgi.application"

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
                "clinic.context_processors.clinic",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in the project folder unless DATABASE_URL names PostgreSQL (production and CI).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections save a connect per request; health checks drop dead ones.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth (docs/security.md) ---------------------------------------------------------------------
# Argon2id for new and changed passwords; older hashes still verify and are upgraded at sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# django-axes first: it refuses a locked-out username and address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Lockout: AXES_FAILURE_LIMIT wrong passwords for one username from one address lock that pair
# for AXES_COOLOFF_MINUTES. Keyed on both, so a stranger can't lock a clinician out from
# elsewhere, and a shared clinic address isn't locked for everyone by one person's typos.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "clinic.staff.lockout.axes_client_ip"
AXES_USERNAME_CALLABLE = "clinic.staff.lockout.axes_username"
AXES_VERBOSE = False
# How many proxies of ours stand in front of the app and append to X-Forwarded-For. 0: none,
# REMOTE_ADDR is the client. See clinic/http.py client_ip and docs/security.md.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Second factor (TOTP, django-otp) for these roles, superusers and anyone who enrolled a device.
# Every staff role: front desk see names and appointment times, which are health information.
STAFF_2FA_ROLES = env_list("STAFF_2FA_ROLES", ["clinician", "front_desk", "clinic_admin"])
if not set(STAFF_2FA_ROLES) <= {"clinician", "front_desk", "clinic_admin"}:
    raise ImproperlyConfigured(
        f"STAFF_2FA_ROLES={','.join(STAFF_2FA_ROLES)} names an unknown role; "
        "use clinician, front_desk, clinic_admin"
    )
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Previsit")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Locale ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (served by whitenoise: no third-party origins) ------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Previsit <previsit@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- The clinic -----------------------------------------------------------------------------
CLINIC_NAME = os.environ.get("CLINIC_NAME", "Previsit Demo Clinic")
# Shown to patients wherever they are told to call the clinic (a tap-to-call link), and on the
# handout page and PDF. The defaults are the demo clinic's (555-01xx numbers are not in use).
CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "(555) 010-0100")
CLINIC_ADDRESS = os.environ.get("CLINIC_ADDRESS", "100 Example Avenue, Springfield")
EMERGENCY_NUMBER = os.environ.get("EMERGENCY_NUMBER", "911")
CRISIS_LINE = os.environ.get("CRISIS_LINE", "988 (call or text)")
# Pre-visit links stay valid this long after the appointment starts.
PREVISIT_LINK_VALID_AFTER = timedelta(hours=env_int("PREVISIT_LINK_VALID_HOURS", 24, minimum=0))
PREVISIT_MAX_DOB_FAILURES = env_int("PREVISIT_MAX_DOB_FAILURES", 5, minimum=1)
PREVISIT_LOCK_MINUTES = env_int("PREVISIT_LOCK_MINUTES", 15, minimum=1)
PREVISIT_VERIFY_PER_IP_PER_HOUR = env_int("PREVISIT_VERIFY_PER_IP_PER_HOUR", 30, minimum=1)
PATIENT_IDLE_MINUTES = env_int("PATIENT_IDLE_MINUTES", 30, minimum=1)
# The questionnaire and its advice are written and tested for adults: a younger patient is told
# to contact the clinic instead (children's red flags and doses differ).
PATIENT_MINIMUM_AGE = env_int("PATIENT_MINIMUM_AGE", 16, minimum=1)
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 15, minimum=1)
# Routes /bench/floor, the benchmark's bare view (bench/run.py); never on in real use.
PREVISIT_BENCH_FLOOR = env_bool("PREVISIT_BENCH_FLOOR", False)
# Wait targets for flagged cases (dashboard colours, escalation).
EMERGENCY_ACK_TARGET = timedelta(minutes=env_int("EMERGENCY_ACK_TARGET_MINUTES", 15, minimum=1))
URGENT_ACK_TARGET = timedelta(minutes=env_int("URGENT_ACK_TARGET_MINUTES", 120, minimum=1))
# A "soon" case: the clinic contacts the patient within 2 working days. Counted in hours on
# the clock (weekends and holidays are not subtracted), so the default of 48 is the safe side.
SOON_ACK_TARGET = timedelta(hours=env_int("SOON_ACK_TARGET_HOURS", 48, minimum=1))

# --- Notifications (clinic/notifications/) ------------------------------------------------
# Links in emails and webhooks point here: the address staff and patients reach the site at.
# Unset, it is this machine at the port `make run` serves on (PREVISIT_PORT, from PORT).
SITE_URL = (
    os.environ.get("SITE_URL") or f"http://127.0.0.1:{env_int('PREVISIT_PORT', 8000, minimum=1)}"
).rstrip("/")
# A failure that may pass (a mail server answering 451, a refused connection, a timeout) is
# tried again for this long after the first try before the row is marked failed and the clinic
# admins are told: an outage of hours loses nothing.
NOTIFICATION_RETRY_WINDOW_MINUTES = env_int("NOTIFICATION_RETRY_WINDOW_MINUTES", 24 * 60, minimum=1)
# Deliveries that die with their worker (killed, out of memory) before the row fails: a message
# that keeps killing workers must not loop for ever.
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5, minimum=1)
# Exponential backoff with jitter: base * 2^(attempt-1), capped; the cap stays under the Redis
# visibility timeout (checked below) so a delayed retry is never redelivered early. The cap is
# short so that a relay back from an outage is found within minutes; the first delivery that
# then goes through brings every other waiting one forward (clinic/notifications/delivery.py).
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 30, minimum=1)
NOTIFICATION_RETRY_MAX_SECONDS = env_int("NOTIFICATION_RETRY_MAX_SECONDS", 300, minimum=1)
# A row left SENDING this long belongs to a worker that died: the sweep hands it out again.
# Longer than the hard task time limit, so a slow but living delivery is never sent twice.
NOTIFICATION_SENDING_TIMEOUT_SECONDS = env_int(
    "NOTIFICATION_SENDING_TIMEOUT_SECONDS", 300, minimum=1
)
# A row still PENDING this long after it was due lost its message (broker down at commit).
NOTIFICATION_PENDING_GRACE_SECONDS = env_int("NOTIFICATION_PENDING_GRACE_SECONDS", 60, minimum=1)
NOTIFICATION_SWEEP_BATCH = env_int("NOTIFICATION_SWEEP_BATCH", 1000, minimum=1)
# Emails to the admins about links locked by wrong dates of birth, at most, an hour (the in-app
# notice is always made): anyone holding a link can lock it, over and over.
LINK_LOCKED_EMAILS_PER_HOUR = env_int("LINK_LOCKED_EMAILS_PER_HOUR", 5, minimum=1)
# How many people from the escalation list are told, besides the clinic admins.
ESCALATION_CONTACTS = env_int("ESCALATION_CONTACTS", 2, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# SMS is pluggable: a dotted path to a class with send(*, to, body). The console backend only
# prints; patients are reminded by SMS only when this is on and they have no email address.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "clinic.notifications.sms.ConsoleSmsBackend")
PATIENT_REMINDER_SMS = env_bool("PATIENT_REMINDER_SMS", False)
# How often the bell on staff pages asks for the unread count.
NOTIFICATION_BELL_POLL_SECONDS = env_int("NOTIFICATION_BELL_POLL_SECONDS", 10, minimum=1)

# How often the dashboard refreshes itself (seconds).
DASHBOARD_POLL_SECONDS = env_int("DASHBOARD_POLL_SECONDS", 15, minimum=1)

# --- Sessions -------------------------------------------------------------------------------
# The absolute limit, enforced from the session's start (SessionLimitsMiddleware in
# clinic/staff/sessions.py); idle limits per role: STAFF_IDLE_MINUTES, PATIENT_IDLE_MINUTES.
# Database sessions that report a lost connection as one (clinic/session_store.py).
SESSION_ENGINE = "clinic.session_store"
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_HOURS", 12, minimum=1) * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content security policy (django-csp 4): our own origin only, no inline script or style, in
# the portal, the dashboard and the admin alike. img-src allows data: because Bootstrap's CSS
# draws checkboxes, radios and selects with data: SVG images; scripts and styles never come
# from data: or from inline markup.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- Audit trail (clinic/audit/) ------------------------------------------------------------
AUDITLOG_MASK_CALLABLE = "clinic.audit.trail.mask"
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Encryption at rest (intake/responses/fields.py) --------------------------------------
# Fernet keys, comma-separated: the first encrypts, all decrypt (rotation: docs/security.md).
# Development uses a per-checkout key in var/; production refuses to start without the variable.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
if not FIELD_ENCRYPTION_KEYS:
    FIELD_ENCRYPTION_KEYS = [development_field_key(VAR_DIR)]

# --- Retention ----------------------------------------------------------------------------------
# Drafts never submitted are deleted this many days after their last change, once their
# appointment has passed (intake/responses/retention.py, run daily by beat).
DRAFT_RETENTION_DAYS = env_int("DRAFT_RETENTION_DAYS", 30, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # a questionnaire page is a few kB
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400

# --- Cache (rate limits, locks) ---------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "previsit"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ---------------------------------------------------------------------------------
# Redis when REDIS_URL or CELERY_BROKER_URL is set. Without either, kombu's filesystem transport
# lets `make run` start a real worker on a machine with no Redis: for trying the app only.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("out", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than any countdown or retry delay we use, so Redis never redelivers a task that
    # is merely waiting for its time (clinic/notifications/delivery.py: the longest backoff is
    # an hour).
    # A broker that does not answer fails a publish in seconds, not the OS's minutes: the web
    # request goes on and the notification sweep sends what could not be queued.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 2 * 60 * 60,
        "socket_connect_timeout": 5,
    }
    if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= NOTIFICATION_RETRY_MAX_SECONDS:
        raise ImproperlyConfigured(
            "NOTIFICATION_RETRY_MAX_SECONDS must be shorter than the Redis visibility timeout "
            f"({CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']} s)"
        )
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or REDIS_URL or None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
if NOTIFICATION_SENDING_TIMEOUT_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "NOTIFICATION_SENDING_TIMEOUT_SECONDS must be longer than the task time limit "
        f"({CELERY_TASK_TIME_LIMIT} s), or a slow delivery could be sent twice"
    )
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A delivery already running when the broker connection drops is left to finish and mark its
# row sent; the redelivered message then finds nothing to claim. Cancelling it could leave an
# email accepted but its row unmarked, which the sweep would send again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task unless this
# is set; clinic/celery.py instead recycles connections as Django does around a request
# (CONN_MAX_AGE, health checks), and the fixup only closes them every 1000 tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_DEFAULT_QUEUE = "default"
# Notifications have their own queue (and, in production, their own worker) so a backlog of
# PDFs never delays an emergency. CELERY_NOTIFICATION_QUEUE lets deployments share a Redis.
NOTIFICATION_QUEUE = os.environ.get("CELERY_NOTIFICATION_QUEUE", "notifications")
CELERY_TASK_ROUTES = {
    "intake.responses.tasks.handout_render_pdf": {"queue": "pdf"},
    "intake.responses.tasks.handouts_pdf_sweep": {"queue": "pdf"},
    "clinic.notifications.tasks.notification_deliver": {"queue": NOTIFICATION_QUEUE},
    "clinic.notifications.tasks.notifications_sweep": {"queue": NOTIFICATION_QUEUE},
    "clinic.review.tasks.cases_escalate": {"queue": NOTIFICATION_QUEUE},
    "intake.links.tasks.appointment_reminders": {"queue": NOTIFICATION_QUEUE},
    "intake.links.tasks.link_locks_notify": {"queue": NOTIFICATION_QUEUE},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Exactly one beat per deployment. A tick nobody ran within the minute is dropped, not piled up:
# each periodic job works from the database, so the next tick catches up.
_TICK = {"expires": 55}
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "clinic.tasks.heartbeat", "schedule": crontab()},
    "notifications-sweep": {
        "task": "clinic.notifications.tasks.notifications_sweep",
        "schedule": crontab(),
        "options": _TICK,
    },
    "cases-escalate": {
        "task": "clinic.review.tasks.cases_escalate",
        "schedule": crontab(),
        "options": _TICK,
    },
    "appointment-reminders": {
        "task": "intake.links.tasks.appointment_reminders",
        "schedule": crontab(minute="*/5"),
        "options": _TICK,
    },
    "link-locks-notify": {
        "task": "intake.links.tasks.link_locks_notify",
        "schedule": crontab(),
        "options": _TICK,
    },
    "handouts-pdf-sweep": {
        "task": "intake.responses.tasks.handouts_pdf_sweep",
        "schedule": crontab(minute="*/5"),
        "options": _TICK,
    },
    "drafts-purge": {
        "task": "intake.responses.tasks.drafts_purge",
        "schedule": crontab(minute=17, hour=3),
        "options": {"expires": 3600},
    },
}

# --- Logging: no health information in logs; request bodies are never logged ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Patient-link tokens never reach a log (clinic/logging_filters.py).
    "filters": {"redact_tokens": {"()": "clinic.logging_filters.RedactLinkTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own handlers (the console in DEBUG, the admins' email) are replaced by ours,
        # so every Django record passes the token filter.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
