"""Feedback and evaluations are siblings: neither imports the other, and the core names neither."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_feedback_never_imports_evaluations():
    offending = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "feedback").rglob("*.py")
        if re.search(r"^\s*(from|import)\s+evaluations\b", path.read_text(), re.MULTILINE)
    ]
    assert offending == []


def test_evaluations_never_import_feedback():
    offending = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "evaluations").rglob("*.py")
        if re.search(r"^\s*(from|import)\s+feedback\b", path.read_text(), re.MULTILINE)
    ]
    assert offending == []
