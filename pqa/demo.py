"""Shared facts about the demo data (loaded by `manage.py load_demo`, debug use only)."""

DEMO_PASSWORD = "demo-pqa-2025!"  # noqa: S105 - demo accounts exist only where load_demo was run  # nosec B105

# Demo accounts whose role needs two-factor authentication get an authenticator of this
# name; in debug mode only, the code page shows its current code so a demo needs no phone.
DEMO_DEVICE_NAME = "Demo authenticator (debug mode only)"


def demo_current_code(device) -> str | None:
    """The code a demo authenticator would accept now, or None for any real device (and for
    every device outside debug mode)."""
    from django.conf import settings

    if not settings.DEBUG or device.name != DEMO_DEVICE_NAME or not device.user.username.startswith("demo-"):
        return None
    return next_unused_code(device)


def next_unused_code(device) -> str | None:
    """The code an authenticator app would show that the device accepts now.

    django-otp accepts each time step's code once (replay protection: `last_t`), so a second
    sign-in within the same 30 seconds must not be shown the code just used: it is shown the
    next step's, which the device accepts within its tolerance of one step. Also what the
    browser tests type for the people they sign in."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time  # one instant for both readings below
    now = totp.t()
    unused = max(now, device.last_t + 1)
    if unused > now + device.tolerance:
        return None  # cannot happen after a verification (it moves the drift), but never show a refused code
    totp.drift += unused - now
    return f"{totp.token():0{device.digits}d}"
