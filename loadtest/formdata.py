"""What an evaluator posts on the sit-alongside form: complete and valid, kept free of Locust so
that it can be checked with Django's test client."""

from __future__ import annotations

import datetime as dt
import random

# The pillars as the form names them (evaluations.models.Pillar); the scenario reads them off the page.
PILLARS = ("childs_voice", "assessment", "planning", "oversight")
GRADES = ("outstanding", "good", "good", "good", "requires_improvement", "inadequate")
ANSWERS = ("yes", "yes", "partly", "no")


def _date_input(name: str, date: dt.date) -> dict[str, str]:
    """A date as the GOV.UK date input posts it: NAME_0, NAME_1, NAME_2 for day, month, year."""
    return {f"{name}_0": str(date.day), f"{name}_1": str(date.month), f"{name}_2": str(date.year)}


def answers(
    *, version: int, editor_token: str, owner: str, pillars: tuple[str, ...] | list[str] = PILLARS
) -> dict[str, str]:
    """A complete, valid sit-alongside form (as tests/evaluations/test_sit_alongside_form.py
    form_data), with a recommendation so any overall grade may be submitted. `owner` is the
    id of an account offered as the recommendation's owner (read off the page)."""
    yesterday = dt.date.today() - dt.timedelta(days=1)  # noqa: DTZ011 - a past day in any time zone
    grade = random.choice(GRADES)
    data = {
        "version": str(version),
        "editor_token": editor_token,
        **_date_input("evaluation_date", yesterday),
        "overall_grade": grade,
        "intervention_appropriate": random.choice(ANSWERS),
        "positive_difference": random.choice(ANSWERS),
        "record_reflects_work": random.choice(ANSWERS),
        "edi_considered": random.choice(ANSWERS),
        "fathers_included": "not_applicable",
        "strengths": "Strong relationship with the child; visits are regular and purposeful.",
        "areas_for_development": "The chronology needs updating after the last review.",
        "recommendations-TOTAL_FORMS": "1",
        "recommendations-INITIAL_FORMS": "0",
        "recommendations-MIN_NUM_FORMS": "0",
        "recommendations-MAX_NUM_FORMS": "20",
        "recommendations-0-action": "Update the chronology",
        "recommendations-0-owner": owner,
        **_date_input("recommendations-0-due_date", yesterday + dt.timedelta(days=60)),
        "feedback-child-spoken_to": "yes",
        "feedback-child-understood_why": "yes",
        "feedback-child-quote": "She listens to me.",
    }
    for pillar in pillars:
        data[f"pillar-{pillar}-tell_me"] = f"Told about {pillar}"
        data[f"pillar-{pillar}-show_me"] = f"Shown {pillar} in the record"
        data[f"pillar-{pillar}-grade"] = random.choice(GRADES)
    return data
