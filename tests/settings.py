"""Test settings: the production module, with the few values a test run must fix."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-any-real-deployment-0123456789")
os.environ.setdefault("PQA_SSL_REDIRECT", "0")
os.environ.setdefault("PQA_PLAIN_STATIC", "1")

from pqa.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
