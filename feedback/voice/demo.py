"""Demo compliments, child and family feedback responses and advocacy referrals: fifteen
months up to today, across every service area and team, with about 30% of advocacy referrals
from social work teams (as the seeds note). Idempotent: references are fixed, so loading twice
changes nothing. Loaded by `load_demo` through the core's demo loader (feedback/apps.py)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from feedback.models import (
    STANDARD_QUESTIONS,
    AdvocacyReferral,
    AdvocacySource,
    Compliment,
    ComplimentFrom,
    FeedbackRespondent,
    FeedbackResponse,
    FeedbackSource,
    Rating,
)
from pqa.models import Team

SEED = 2025
DAYS = 460  # a year and a quarter
EXTRACTS = (
    "Our social worker always explained what was happening and why.",
    "She listened to what our son wanted and it made a real difference.",
    "Thank you for sticking with us when things were hard.",
    "The team helped me understand the plan and what I needed to do.",
    "He came to every meeting he said he would and kept us informed.",
)
THEMES = ("listened; explained", "reliable", "kind; patient", "went the extra mile", "clear communication")
COMMENTS = (
    "I knew what was happening.",
    "It took a long time to hear back.",
    "They listened to me.",
    "I would have liked more visits.",
    "",
)
# Weights: about 30% of advocacy referrals from social work teams.
ADVOCACY_WEIGHTS = {"social_work_team": 30, "iro": 35, "self": 15, "family": 12, "other": 8}


def _answer(rng: random.Random) -> str:
    return rng.choices(["yes", "partly", "no", ""], weights=[65, 20, 10, 5])[0]


@transaction.atomic
def voice_demo_load(*, actor=None, today: dt.date | None = None, seed: int = SEED) -> str:
    """Create the demo records that are not there yet; returns how many of each were made, in
    words ("" when nothing was). `actor` is the demo's own account (records are bulk-created)."""
    made = _voice_demo_load(today=today, seed=seed)
    return ", ".join(f"{count} {kind}" for kind, count in made.items() if count)


def _voice_demo_load(*, today: dt.date | None = None, seed: int = SEED) -> dict[str, int]:
    today = today or timezone.localdate()
    rng = random.Random(seed)  # nosec B311 - repeatable demo data, never a secret
    teams = list(Team.objects.select_related("service_area").order_by("service_area__name", "name"))
    made = {"compliments": 0, "responses": 0, "advocacy": 0}
    if not teams:
        return made
    compliments, responses, referrals = [], [], []
    for index in range(120):
        team = rng.choice(teams)
        shared = rng.random() < 0.5
        compliments.append(
            Compliment(
                reference=f"DEMO-CMP-{index + 1:04d}",
                received=today - dt.timedelta(days=rng.randrange(DAYS)),
                from_whom=rng.choices(ComplimentFrom.values, weights=[10, 55, 28, 7])[0],
                service_area=team.service_area,
                team=team,
                staff_named=f"SW{rng.randrange(100, 999)}" if rng.random() < 0.6 else "",
                themes=rng.choice(THEMES),
                extract=rng.choice(EXTRACTS) if shared or rng.random() < 0.5 else "",
                may_share=shared,
            )
        )
    for index in range(600):
        team = rng.choice(teams)
        respondent = rng.choices(FeedbackRespondent.values, weights=[30, 60, 10])[0]
        responses.append(
            FeedbackResponse(
                reference=f"DEMO-RSP-{index + 1:04d}",
                date=today - dt.timedelta(days=rng.randrange(DAYS)),
                source=rng.choices(FeedbackSource.values, weights=[35, 20, 20, 10, 10, 5])[0],
                respondent=respondent,
                age_band=rng.choice(["5–10", "11–15", "16–17"]) if respondent == "child" else "",
                service_area=team.service_area,
                team=team,
                **{name: _answer(rng) for name, _ in STANDARD_QUESTIONS},
                rating=rng.choices([*Rating.values, ""], weights=[40, 35, 15, 7, 3])[0],
                comment=rng.choice(COMMENTS),
                may_quote=rng.random() < 0.3,
            )
        )
    areas = sorted({team.service_area for team in teams}, key=lambda area: area.name)
    for index in range(160):
        referrals.append(
            AdvocacyReferral(
                reference=f"DEMO-ADV-{index + 1:04d}",
                date=today - dt.timedelta(days=rng.randrange(DAYS)),
                source=rng.choices(list(ADVOCACY_WEIGHTS), weights=list(ADVOCACY_WEIGHTS.values()))[0],
                service_area=rng.choice(areas),
            )
        )
    if set(ADVOCACY_WEIGHTS) != set(AdvocacySource.values):
        raise ValueError("The demo's advocacy weights must name every source")
    for key, model, records in (
        ("compliments", Compliment, compliments),
        ("responses", FeedbackResponse, responses),
        ("advocacy", AdvocacyReferral, referrals),
    ):
        existing = set(model.objects.values_list("reference", flat=True))
        new = [record for record in records if record.reference not in existing]
        for record in new:
            record.full_clean()
        model.objects.bulk_create(new)
        made[key] = len(new)
    return made
