"""Installed apps under names an administrator reads as words: the Django admin heads each
section with its app's verbose name, which for some packages is their code name (AXES,
OTP_TOTP). settings.INSTALLED_APPS points at these configs instead of the packages' own;
the app labels, and so the tables and migrations, stay the packages'."""

from axes.apps import AppConfig as AxesConfig
from django.contrib.auth.apps import AuthConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class SignInLockoutsConfig(AxesConfig):
    verbose_name = "Sign-in lockouts"


class AuthenticatorsConfig(TOTPConfig):
    verbose_name = "Authenticators"


class PermissionGroupsConfig(AuthConfig):
    verbose_name = "Permission groups"
