"""Checks on raw text that every part of PQA shares.

Control characters: PostgreSQL cannot store a NUL in text at all (the request fails), and the
others (form feed, escape, ...) are never typed by a person; they come from a damaged file or
someone probing. Tab and newline (and the carriage return browsers send with it) are kept:
free text needs them."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_character(text: str) -> str | None:
    """The first control character in `text` that PQA refuses, or None."""
    match = CONTROL_CHARACTERS.search(text)
    return match.group() if match else None


def control_character_message(text: str) -> str | None:
    """What to tell the person when `text` holds a refused control character, else None."""
    character = control_character(text)
    if character is None:
        return None
    return (
        f"contains a control character (U+{ord(character):04X}), which PQA does not accept: "
        "remove it (retype the text rather than paste it) and send again"
    )


def validate_no_control_characters(value) -> None:
    """A validator for form and model fields (and the imports: use control_character_message
    for the cell's text)."""
    message = control_character_message(str(value))
    if message:
        raise ValidationError(f"This {message}", code="control_character")


def printable_name(name: str) -> str:
    """A parameter's name fit to show back: control characters as U+XXXX, and short."""
    shown = CONTROL_CHARACTERS.sub(lambda match: f"U+{ord(match.group()):04X}", name)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def request_control_character_problem(request) -> str | None:
    """The first GET or POST parameter (name or value; uploaded files are the import's to
    check) holding a refused control character, as a message naming it; else None."""
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for params in sources:
        for name, values in params.lists():
            for text in (name, *values):
                message = control_character_message(text)
                if message:
                    return f"The field '{printable_name(name)}' {message}."
    return None
