# Every free-text field has a limit that fits its purpose (evaluations/limits.py), in the
# model and in the database: one check a table, on PostgreSQL and SQLite alike. History
# tables keep what they hold (their text is a record of the past, never cut).

from django.core.validators import MaxLengthValidator
from django.db import migrations, models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

# The limits as this migration sets them (a later change of evaluations/limits.py is a later
# migration): model -> {field: characters}.
LIMITS = {
    "Cycle": {"title": 120},
    "Evaluation": {
        "areas_for_development": 4000,
        "child_age_band": 40,
        "child_ethnicity": 80,
        "child_gender": 40,
        "practitioner": 120,
        "safeguarding_description": 4000,
        "strengths": 4000,
    },
    "EvaluationFeedback": {"not_spoken_reason": 300, "quote": 600},
    "Moderation": {"rationale": 2000},
    "PillarGrade": {"show_me": 4000, "tell_me": 4000},
    "Recommendation": {"action": 1000},
}


# What names a row, so that a person can find it: the evaluation's reference, never its text.
WHERE = {
    "Cycle": ("cycle {quarter} {type} (id {id})", ("id", "quarter", "type")),
    "Evaluation": ("evaluation {reference}", ("reference",)),
    "PillarGrade": ("evaluation {evaluation__reference}, pillar {pillar}", ("evaluation__reference", "pillar")),
    "EvaluationFeedback": (
        "evaluation {evaluation__reference}, feedback from {respondent}",
        ("evaluation__reference", "respondent"),
    ),
    "Moderation": ("evaluation {evaluation__reference}, its moderation", ("evaluation__reference",)),
    "Recommendation": ("evaluation {evaluation__reference}, recommendation id {id}", ("evaluation__reference", "id")),
}


def over_limits(apps, using) -> list[str]:
    """Every stored value longer than its new limit, as 'where: field has N characters (at most L)'."""
    found = []
    for model, limits in LIMITS.items():
        Model = apps.get_model("evaluations", model)
        where, names = WHERE[model]
        for field, limit in limits.items():
            rows = (
                Model.objects.using(using)
                .annotate(characters=Length(field))
                .filter(characters__gt=limit)
                .order_by("pk")
                .values(*names, "characters")
            )
            for row in rows.iterator(chunk_size=500):
                found.append(f"{where.format(**row)}: {field} has {row['characters']:,} characters (at most {limit:,})")
    return found


def refuse_text_over_limits(apps, schema_editor):
    """Before the checks: text longer than its limit is never cut, which would lose what someone
    wrote. Name every such value, so that someone shortens it (in the Django admin, which shows
    the limit) and migrates again."""
    found = over_limits(apps, schema_editor.connection.alias)
    if found:
        raise RuntimeError(
            "This text is longer than PQA now keeps. Shorten each (the Django admin shows the limit), "
            "then migrate again; nothing has been changed:\n" + "\n".join(found)
        )


def _within(model: str) -> models.CheckConstraint:
    limits = LIMITS[model]
    condition = models.Q()
    for field, limit in sorted(limits.items()):
        condition &= models.Q(LessThanOrEqual(Length(field), limit))
    shown = ", ".join(f"{field} {limit:,}" for field, limit in sorted(limits.items()))
    return models.CheckConstraint(
        condition=condition,
        name=f"{model.lower()}_text_within_limits",
        violation_error_message=f"Text is longer than PQA keeps (characters at most: {shown}).",
    )


def _text(limit: int, **kwargs) -> models.TextField:
    # A TextField's max_length reaches only its form field: the validator makes full_clean() check it.
    return models.TextField(max_length=limit, validators=[MaxLengthValidator(limit)], **kwargs)


SHOW_ME = {"blank": True, "help_text": "The evidence seen in the child's record.", "verbose_name": "show me"}
TELL_ME = {"blank": True, "help_text": "The practitioner's account.", "verbose_name": "tell me"}


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0007_revisits"),
    ]

    operations = [
        migrations.RunPython(refuse_text_over_limits, migrations.RunPython.noop, elidable=True),
        *[
            migrations.AlterField(model_name=model, name=name, field=field)
            for model in ("evaluation", "historicalevaluation")
            for name, field in (
                ("areas_for_development", _text(4000, blank=True)),
                ("safeguarding_description", _text(4000, blank=True)),
                ("strengths", _text(4000, blank=True)),
            )
        ],
        *[
            migrations.AlterField(model_name=model, name=name, field=field)
            for model in ("pillargrade", "historicalpillargrade")
            for name, field in (("show_me", _text(4000, **SHOW_ME)), ("tell_me", _text(4000, **TELL_ME)))
        ],
        *[
            migrations.AlterField(
                model_name=model,
                name="quote",
                field=_text(600, blank=True, help_text="A short quote, with no names."),
            )
            for model in ("evaluationfeedback", "historicalevaluationfeedback")
        ],
        *[
            migrations.AlterField(model_name=model, name="rationale", field=_text(2000, blank=True))
            for model in ("moderation", "historicalmoderation")
        ],
        *[
            migrations.AlterField(model_name=model, name="action", field=_text(1000))
            for model in ("recommendation", "historicalrecommendation")
        ],
        *[migrations.AddConstraint(model_name=model.lower(), constraint=_within(model)) for model in LIMITS],
    ]
