"""Shared facts about the demo data (loaded by `manage.py load_demo`, debug use only)."""

DEMO_PASSWORD = "demo-pqa-2025!"  # noqa: S105 - demo accounts exist only where load_demo was run  # nosec B105

# Demo accounts whose role needs two-factor authentication get an authenticator of this
# name; in debug mode only, the code page shows its current code so a demo needs no phone.
DEMO_DEVICE_NAME = "Demo authenticator (debug mode only)"


def demo_current_code(device) -> str | None:
    """The code a demo authenticator shows now, or None for any real device."""
    from django.conf import settings
    from django_otp.oath import TOTP

    if not settings.DEBUG or device.name != DEMO_DEVICE_NAME or not device.user.username.startswith("demo-"):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
