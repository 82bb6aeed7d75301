"""Demo shop settings. Embedded defaults (SQLite, local files, a filesystem broker) so it runs
with nothing else installed; environment variables point it at Redis, PostgreSQL or S3.

GAN_SHOP_DATA_DIR     where SQLite, media and the filesystem broker live (default ./var)
GAN_SHOP_DB_NAME      SQLite database file (default $GAN_SHOP_DATA_DIR/db.sqlite3)
GAN_SHOP_DATABASE     "postgres://user@host:port/name" to use PostgreSQL
GAN_SHOP_BROKER_URL   e.g. redis://127.0.0.1:6379/0 (default: filesystem broker, no Redis)
GAN_SHOP_MEDIA_ROOT   local media folder (default $GAN_SHOP_DATA_DIR/media)
GAN_SHOP_GAN_IMAGING  JSON merged into GAN_IMAGING (e.g. '{"LEASE_SECONDS": 30}')
GAN_SHOP_VISIBILITY_TIMEOUT  Redis visibility timeout in seconds (default 1800)
GAN_SHOP_BROKER_POLLING  filesystem broker: seconds between worker polls (default 0.1)
GAN_SHOP_S3_BUCKET    store uploads and outputs in this S3 bucket (django-storages); with
                      GAN_SHOP_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _REGION
"""

import json
import os
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GAN_SHOP_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("GAN_SHOP_SECRET_KEY", "demo-only-not-secret-change-me")
DEBUG = os.environ.get("GAN_SHOP_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "gan_imaging",
    "shop.catalog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF: explains an upload the multipart parser refuses (a huge file name).
    "gan_imaging.uploads.UploadErrorMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

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


def _database() -> dict:
    url = os.environ.get("GAN_SHOP_DATABASE", "")
    if url.startswith(("postgres://", "postgresql://")):
        u = urlparse(url)
        return {
            "ENGINE": "django.db.backends.postgresql",
            # GAN_SHOP_DB_NAME lets test workers join the test database.
            "NAME": os.environ.get("GAN_SHOP_DB_NAME") or u.path.lstrip("/") or "postgres",
            "USER": u.username or "",
            "PASSWORD": u.password or "",
            "HOST": u.hostname or "",
            "PORT": str(u.port or ""),
        }
    name = os.environ.get("GAN_SHOP_DB_NAME", str(DATA_DIR / "db.sqlite3"))
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        # A web process and worker processes share the file: wait for locks, use WAL.
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # A file (worker processes must share it), one per test run so runs never collide.
        "TEST": {"NAME": os.environ.get("GAN_SHOP_TEST_DB_NAME",
                                        str(DATA_DIR / f"test-{os.getpid()}.sqlite3"))},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# The demo templates' catalogue (the apps' catalogues are found in their locale/ folders).
LOCALE_PATHS = [BASE_DIR / "shop" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
# The demo serves local media through Django (never do this in production).
SERVE_MEDIA = os.environ.get("GAN_SHOP_SERVE_MEDIA", "1") == "1"
MEDIA_ROOT = Path(os.environ.get("GAN_SHOP_MEDIA_ROOT", DATA_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
GAN_STORAGE_ALIAS = "default"



def s3_storages(bucket: str, endpoint: str | None, access_key: str, secret_key: str,
                region: str = "us-east-1") -> dict:
    """STORAGES entries for S3 through django-storages: uploads under uploads/, outputs in
    their own alias whose input-derived names are cached forever."""
    s3 = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "access_key": access_key,
        "secret_key": secret_key,
        "region_name": region,
        "default_acl": None,  # private bucket; serve through signed URLs or a CDN
        "file_overwrite": False,
    }
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage",
                    "OPTIONS": {**s3, "location": "uploads"}},
        "gan_imaging": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            **s3, "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        }},
    }


# S3 (or any S3-compatible server) when GAN_SHOP_S3_BUCKET is set.
if os.environ.get("GAN_SHOP_S3_BUCKET"):
    STORAGES.update(s3_storages(
        os.environ["GAN_SHOP_S3_BUCKET"],
        os.environ.get("GAN_SHOP_S3_ENDPOINT"),
        os.environ.get("GAN_SHOP_S3_ACCESS_KEY", ""),
        os.environ.get("GAN_SHOP_S3_SECRET_KEY", ""),
        os.environ.get("GAN_SHOP_S3_REGION", "us-east-1"),
    ))
    GAN_STORAGE_ALIAS = "gan_imaging"

# Uploads above this are refused before Django buffers them (bytes); matches MAX_UPLOAD_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024
# Large uploads go to a temporary file named after the client's extension; this handler caps
# that extension, so a hostile ~240-byte one cannot crash the request (gan_imaging/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "gan_imaging.uploads.ShortExtensionUploadHandler",
]

# ---------------------------------------------------------------- Celery (see DESIGN.md §2)
BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("GAN_SHOP_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Exchange tables (kombu's default is ./control, in whatever folder the process runs).
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # Workers look for new messages this often (s); kombu's default of 1 s would be most
        # of a thumbnail's latency.
        "polling_interval": float(os.environ.get("GAN_SHOP_BROKER_POLLING", 0.1)),
    }
else:
    _VT = int(os.environ.get("GAN_SHOP_VISIBILITY_TIMEOUT", 2 * 15 * 60))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _VT,
        "socket_timeout": 5,
        "socket_connect_timeout": 3,
        "health_check_interval": 25,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Memory budget of a pool child in KiB: one that grew past it after a task is replaced.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(os.environ.get("GAN_SHOP_WORKER_MAX_KIB", 1_000_000))
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE = {
    "gan-imaging-sweep": {"task": "gan_imaging.sweep", "schedule": 60.0},
}

GAN_IMAGING = {
    "CELERY_APP": "shop.celery.app",
    "STORAGE": GAN_STORAGE_ALIAS,
    # Every kind on upload: thumbnails on the CPU queue, renders and banners on the GPU queue
    # (the demo's one worker consumes both).
    "ON_UPLOAD": ["thumbnails", "renders", "banners"],
    # Fit renditions plus square crops (centred on the product, or on the merchant's focal
    # point) for the catalogue grid.
    "SPECS": {"thumbnails": {"widths": [320, 640, 1280], "formats": ["webp", "jpeg"],
                             "fill": ["1:1"]}},
    **json.loads(os.environ.get("GAN_SHOP_GAN_IMAGING", "{}")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"gan_imaging": {"handlers": ["console"], "level": "INFO"}},
}
