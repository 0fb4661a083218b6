"""Two-factor authentication: an authenticator app (TOTP, django-otp) as the second factor,
and single-use recovery codes for when the phone is not to hand.

Required for everyone (pqa.permissions.role_requires_two_factor): the first sign-in leads to
setting up the app, which ends by showing ten recovery codes once. The middleware
(pqa.middleware.TwoFactorRequiredMiddleware) sends a person who owes a code here.
"""

from __future__ import annotations

import base64
import io
import re
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pqa import audit, services
from pqa.demo import DEMO_DEVICE_NAME, demo_current_code
from pqa.models import RecoveryCodeDevice
from pqa.permissions import role_requires_two_factor
from pqa.redirects import local_url


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_device(user) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user).order_by("pk").first()


def two_factor_required(user) -> bool:
    """Whether this person must give a code before anything else: by role, or because they
    chose to set up an authenticator. Asked once per request at most."""
    if not getattr(user, "is_authenticated", False):
        return False
    if role_requires_two_factor(user):
        return True
    if not hasattr(user, "_pqa_has_device"):
        user._pqa_has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return user._pqa_has_device


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code, drawn on the server, as a data: URI for an <img> (no markup is built
    here and none is marked safe: the browser reads the SVG as an image)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _secret_for_typing(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6 numbers your app shows now, for example 123456.",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError("Enter the code as 6 numbers, for example 123456")
        return code


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code",
        help_text=(
            "One of the codes you saved when you set up two-factor authentication, for example abcd-efgh-jkmn-pqrs."
        ),
        max_length=40,
        error_messages={"required": "Enter one of your recovery codes"},
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if len(re.sub(r"[\s-]", "", code)) != services.RECOVERY_CODE_LENGTH:
            raise forms.ValidationError(
                f"Enter the recovery code as {services.RECOVERY_CODE_LENGTH} letters and numbers, "
                "for example abcd-efgh-jkmn-pqrs"
            )
        return code


def _safe_next(request) -> str | None:
    return local_url(request, request.POST.get("next") or request.GET.get("next"))


def _next_url(request) -> str:
    return _safe_next(request) or reverse("home")


def _with_next(name: str, request) -> str:
    next_url = _safe_next(request)
    return reverse(name) + ("?" + urlencode({"next": next_url}) if next_url else "")


def _verified(request, device: TOTPDevice) -> None:
    # A new session key as the person reaches a higher level of trust (as at sign-in).
    request.session.cycle_key()
    otp_login(request, device)


def _throttle_message(*devices) -> str | None:
    """Why no code may be tried now, if so. Given the person's app and recovery devices, so
    wrong app codes also hold back recovery codes and the other way round: switching between
    them gives a guesser no more tries."""
    for device in devices:
        if device is None:
            continue
        allowed, details = device.verify_is_allowed()
        if allowed:
            continue
        until = (details or {}).get("locked_until")
        if until is not None:
            return f"Too many wrong codes. Wait until {until.astimezone().strftime('%H:%M:%S')} and try again"
        return "Too many wrong codes. Wait a minute and try again"
    return None


@require_http_methods(["GET", "POST"])
def verify(request):
    """Ask for a code from the person's authenticator app; set one up if they have none."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect(_with_next("two_factor_setup", request))
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttle_message(device, recovery_device(request.user))
        if throttled:
            form.add_error("code", throttled)
        elif device.verify_token(form.cleaned_data["code"]):
            _verified(request, device)
            audit.event(audit.TWO_FACTOR_VERIFIED, user=request.user.pk)
            if device.name != DEMO_DEVICE_NAME and not services.recovery_codes_left(user=request.user):
                messages.warning(
                    request,
                    "You have no recovery codes. Create them from Two-factor authentication in the menu, "
                    "so that you can still sign in if you lose your phone.",
                )
            return redirect(_next_url(request))
        else:
            audit.event(audit.TWO_FACTOR_FAILED, user=request.user.pk, stage="verify")
            form.add_error("code", "The code is not right. Enter the code your app shows now")
    return render(
        request,
        "registration/two_factor_verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "demo_code": demo_current_code(device),
            "recovery_url": _with_next("two_factor_recovery", request),
        },
    )


@require_http_methods(["GET", "POST"])
def setup(request):
    """Set up an authenticator app: scan the QR code (or type the key), then give a code from
    it. The first time, ten recovery codes are then shown, once. Once set up, this page says
    so, with how many recovery codes are left; `?new=1` sets up a new phone in place of the
    old one (for someone who signed in with a recovery code after losing theirs)."""
    has_app = confirmed_device(request.user) is not None
    if has_app and not request.user.is_verified():
        return redirect(_with_next("two_factor", request))
    replacing = has_app and request.GET.get("new") == "1"
    if has_app and not replacing:
        left = services.recovery_codes_left(user=request.user)
        return render(
            request,
            "registration/two_factor_setup.html",
            {"set_up": True, "codes_left": left, "codes_few": left <= services.RECOVERY_CODES_FEW},
        )
    device = services.two_factor_setup_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttle_message(device)
        if throttled:
            form.add_error("code", throttled)
        elif services.two_factor_setup_confirm(device=device, token=form.cleaned_data["code"]):
            _verified(request, device)
            if not services.recovery_codes_left(user=request.user):
                codes = services.two_factor_recovery_codes_generate(user=request.user)
                return _show_recovery_codes(request, codes, first_time=True)
            messages.success(
                request,
                "Your new authenticator app is set up; the old one no longer works. "
                "Your recovery codes have not changed.",
            )
            return redirect(_next_url(request))
        else:
            form.add_error("code", "The code is not right. Check the key in your app and enter the code it shows now")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "set_up": False,
            "replacing": replacing,
            "form": form,
            "next": _next_url(request),
            "qr_code": qr_code_data_uri(device.config_url),
            "secret": _secret_for_typing(device),
        },
    )


def _recovery_codes_file(request, codes: list[str]) -> str:
    """The codes as a text file in a data: URI, for the page's download link: made from this
    answer alone, so the codes never have to be kept anywhere to be downloaded later."""
    from django.conf import settings
    from django.utils import timezone

    lines = [
        f"{settings.PQA_TRUST_NAME} PQA: recovery codes",
        f"Created {timezone.localtime():%d/%m/%Y %H:%M}. Each code signs you in once, instead of a code from your app.",
        "Keep them somewhere safe, apart from your phone. A new set makes these stop working.",
        "",
        *codes,
        "",
    ]
    return "data:text/plain;charset=utf-8;base64," + base64.b64encode("\r\n".join(lines).encode()).decode("ascii")


def _show_recovery_codes(request, codes: list[str], *, first_time: bool):
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {
            "codes": codes,
            "first_time": first_time,
            "download": _recovery_codes_file(request, codes),
            "continue_url": _next_url(request),
        },
    )


@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """How many recovery codes are left, and a new set on request (which voids the old one).
    Only for a session that has given its second factor (the middleware sees to it)."""
    if request.method == "POST":
        codes = services.two_factor_recovery_codes_generate(user=request.user)
        return _show_recovery_codes(request, codes, first_time=False)
    left = services.recovery_codes_left(user=request.user)
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {"codes": None, "codes_left": left, "codes_few": left <= services.RECOVERY_CODES_FEW},
    )


@require_http_methods(["GET", "POST"])
def recovery(request):
    """Sign in with a recovery code instead of a code from the app: each code works once."""
    if confirmed_device(request.user) is None:
        return redirect(_with_next("two_factor_setup", request))
    if request.user.is_verified():
        return redirect(_next_url(request))
    device = recovery_device(request.user)
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttle_message(device, confirmed_device(request.user))
        if throttled:
            form.add_error("code", throttled)
        elif device is not None and services.two_factor_recovery_code_use(
            device=device, code=form.cleaned_data["code"]
        ):
            _verified(request, device)
            left = device.codes_left()
            words = f"{left} recovery code{'' if left == 1 else 's'}"
            if left <= services.RECOVERY_CODES_FEW:
                messages.warning(
                    request,
                    f"You signed in with a recovery code. You have only {words} left: create a new set from "
                    "Two-factor authentication in the menu. If you have lost your phone, set up the new one there too.",
                )
            else:
                messages.success(request, f"You signed in with a recovery code. You have {words} left.")
            return redirect(_next_url(request))
        else:
            if device is None:
                audit.event(audit.TWO_FACTOR_FAILED, user=request.user.pk, stage="recovery")
            form.add_error(
                "code", "The recovery code is not right, or it has been used already. Check it and try again"
            )
    return render(
        request,
        "registration/two_factor_recovery.html",
        {"form": form, "next": _next_url(request), "code_url": _with_next("two_factor", request)},
    )
