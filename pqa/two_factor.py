"""Two-factor authentication: an authenticator app (TOTP, django-otp) as the second factor.

Required for the roles in pqa.permissions.role_requires_two_factor; anyone else may set it up
from the menu and, once they have, is asked for a code at every sign-in too. The middleware
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
from pqa.demo import demo_current_code
from pqa.permissions import role_requires_two_factor
from pqa.redirects import local_url


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


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


def _throttle_message(device: TOTPDevice) -> str | None:
    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    until = (details or {}).get("locked_until")
    if until is not None:
        return f"Too many wrong codes. Wait until {until.astimezone().strftime('%H:%M:%S')} and try again"
    return "Too many wrong codes. Wait a minute and try again"


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
        throttled = _throttle_message(device)
        if throttled:
            form.add_error("code", throttled)
        elif device.verify_token(form.cleaned_data["code"]):
            _verified(request, device)
            audit.event(audit.TWO_FACTOR_VERIFIED, user=request.user.pk)
            return redirect(_next_url(request))
        else:
            audit.event(audit.TWO_FACTOR_FAILED, user=request.user.pk, stage="verify")
            form.add_error("code", "The code is not right. Enter the code your app shows now")
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request), "demo_code": demo_current_code(device)},
        status=200,
    )


@require_http_methods(["GET", "POST"])
def setup(request):
    """Set up an authenticator app: scan the QR code (or type the key), then give a code from
    it. Once set up, this page only says so: a person who has lost their phone asks an
    administrator to reset it (see docs/security.md)."""
    if confirmed_device(request.user) is not None:
        if not request.user.is_verified():
            return redirect(_with_next("two_factor", request))
        return render(
            request,
            "registration/two_factor_setup.html",
            {"set_up": True, "required": role_requires_two_factor(request.user)},
        )
    device = services.two_factor_setup_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttle_message(device)
        if throttled:
            form.add_error("code", throttled)
        elif services.two_factor_setup_confirm(device=device, token=form.cleaned_data["code"]):
            _verified(request, device)
            messages.success(request, "Two-factor authentication is set up. You will be asked for a code at sign-in.")
            return redirect(_next_url(request))
        else:
            form.add_error("code", "The code is not right. Check the key in your app and enter the code it shows now")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "set_up": False,
            "required": role_requires_two_factor(request.user),
            "form": form,
            "next": _next_url(request),
            "qr_code": qr_code_data_uri(device.config_url),
            "secret": _secret_for_typing(device),
        },
    )
