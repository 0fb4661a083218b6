# A reference is an id, never a name; a child is evaluated once in a cycle, now also in the database.

import django.db.models.functions.text
from django.db import migrations, models

import evaluations.validators


def refuse_children_twice_in_a_cycle(apps, schema_editor):
    """Before the constraint: an import could put a child twice in one cycle. Name every such
    pair, so that someone decides which evaluation stands, instead of failing on an index."""
    Evaluation = apps.get_model("evaluations", "Evaluation")
    seen: dict[tuple[int, str], list[str]] = {}
    rows = Evaluation.objects.using(schema_editor.connection.alias).values_list("cycle_id", "child_ref", "reference")
    for cycle_id, child_ref, reference in rows.iterator():
        seen.setdefault((cycle_id, child_ref.upper()), []).append(reference)
    twice = [
        f"cycle {cycle} child {child}: {', '.join(sorted(references))}"
        for (cycle, child), references in seen.items()
        if len(references) > 1
    ]
    if twice:
        raise RuntimeError(
            "These children are in one cycle more than once; keep one evaluation of each child in "
            "each cycle, then migrate again:\n" + "\n".join(sorted(twice))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0004_evaluation_child_ref_is_a_case_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evaluation",
            name="reference",
            field=models.CharField(
                help_text="The trust's id of the evaluation, e.g. PE-2025-0001.",
                max_length=40,
                unique=True,
                validators=[evaluations.validators.validate_reference],
            ),
        ),
        migrations.AlterField(
            model_name="historicalevaluation",
            name="reference",
            field=models.CharField(
                db_index=True,
                help_text="The trust's id of the evaluation, e.g. PE-2025-0001.",
                max_length=40,
                validators=[evaluations.validators.validate_reference],
            ),
        ),
        migrations.RunPython(refuse_children_twice_in_a_cycle, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="evaluation",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("child_ref"),
                models.F("cycle"),
                name="evaluation_one_child_once_a_cycle",
                violation_error_message="This child is already in this cycle.",
            ),
        ),
    ]
