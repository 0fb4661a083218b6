"""The load-test accounts' authenticator: every role signs in with a second factor, so each
load-test account has a confirmed TOTP device (django-otp) whose key is derived from its
username and a published seed, and the Locust users compute the code an authenticator app
would show. Kept free of Django and Locust so that both sides can import it.

Never give these keys to an account anyone keeps: like the load-test password, they are public.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import time

SEED = os.environ.get("PQA_LOADTEST_OTP_SEED", "pqa-loadtest-authenticator")
STEP = 30  # seconds, django-otp's default
DIGITS = 6


def key_hex(username: str) -> str:
    """The device's key as django-otp stores it: 20 bytes in hex."""
    return hashlib.sha1(f"{SEED}:{username}".encode()).hexdigest()  # noqa: S324 - a key, not a digest of a secret


def code(username: str, *, steps_ahead: int = 0, now: float | None = None) -> str:
    """The code for the 30-second step `steps_ahead` after the current one (RFC 6238, SHA-1)."""
    counter = int((time.time() if now is None else now) // STEP) + steps_ahead
    digest = hmac.new(bytes.fromhex(key_hex(username)), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**DIGITS:0{DIGITS}d}"
