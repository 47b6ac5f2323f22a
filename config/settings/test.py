"""Settings for the test suite: the same PostgreSQL + pgvector kind of server, fast hashing."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

# Tests publish to their own queue so a development worker on the same broker never takes them.
# Fault tests give each worker they start a queue of its own on a shared broker.
CELERY_TASK_DEFAULT_QUEUE = env("CLAIMTRACK_TASK_QUEUE", default="claimtrack-test")
if CELERY_BROKER_URL.startswith("filesystem"):  # noqa: F405
    _dir = os.environ.get("CLAIMTRACK_BROKER_DIR", str(VAR_DIR / "test-broker"))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": f"{_dir}/queue",
        "data_folder_out": f"{_dir}/queue",
        "processed_folder": f"{_dir}/processed",
        "control_folder": f"{_dir}/control",
        "store_processed": False,
    }

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
# django-axes needs the request in authenticate(); the test client's login() has none. The
# throttling tests switch it on with override_settings.
AXES_ENABLED = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests never hold connections open between requests; the live server and workers share the DB.
# (A web server started by a fault test may ask for persistent connections, as in production.)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)  # noqa: F405
LOGGING["root"]["level"] = env("DJANGO_LOG_LEVEL", default="WARNING")  # noqa: F405
