"""The recommendations register: owners become accounts, four statuses with a note and a date
when closed, tabled in supervision, what a revisit found, the tracker's reference, and the
record of reminders sent.

Owners typed as text are matched to accounts by full name, username or e-mail address in any
letter case, when exactly one account matches; the text is kept either way, and those with no
match stay without an owner for the Practice Hub to set (the register lists them)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Concat, Lower

LEGACY_DONE_NOTE = "Marked done before PQA asked what was done."


def match_text_owners(apps, schema_editor):
    Recommendation = apps.get_model("evaluations", "Recommendation")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    people = User.objects.annotate(
        full=Lower(Concat("first_name", models.Value(" "), "last_name", output_field=models.CharField()))
    ).values_list("pk", "full", "username", "email")
    by_key: dict[str, set[int]] = {}
    for pk, full, username, email in people:
        for key in {full.strip(), username.lower(), email.lower()} - {""}:
            by_key.setdefault(key, set()).add(pk)
    for item in Recommendation.objects.exclude(owner_text="").filter(owner__isnull=True).iterator():
        matches = by_key.get(" ".join(item.owner_text.split()).lower(), set())
        if len(matches) == 1:
            Recommendation.objects.filter(pk=item.pk).update(owner_id=next(iter(matches)))
    # Done before a note was asked for: say so, with the day it was marked done.
    for item in Recommendation.objects.filter(status="done", completed_on__isnull=True).iterator():
        when = item.completed_at or item.created_at
        Recommendation.objects.filter(pk=item.pk).update(
            completed_on=when.date(), outcome_note=item.outcome_note or LEGACY_DONE_NOTE
        )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0011_moderation_text_limits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="recommendation", old_name="owner", new_name="owner_text"),
        migrations.RenameField(model_name="historicalrecommendation", old_name="owner", new_name="owner_text"),
        migrations.CreateModel(
            name="SentReminder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("owner", "To an owner"), ("team_manager", "To a team manager")], max_length=16
                    ),
                ),
                ("day", models.DateField()),
                ("recommendations", models.PositiveIntegerField(default=0)),
                ("sent_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-day", "kind", "person"],
            },
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="completed_on",
            field=models.DateField(
                blank=True,
                help_text="When it was done, or when it was not achieved.",
                null=True,
                verbose_name="done or given up on",
            ),
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="outcome_note",
            field=models.TextField(
                blank=True,
                help_text="Needed when it is done or not achieved.",
                max_length=1000,
                verbose_name="what was done, or why not",
            ),
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The account of the person who will do it.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="revisit_found_done",
            field=models.BooleanField(
                blank=True,
                help_text="Empty until a revisit has checked it.",
                null=True,
                verbose_name="a revisit found it done",
            ),
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="tabled_on",
            field=models.DateField(blank=True, null=True, verbose_name="tabled in supervision"),
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="tracker_reference",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="The id it had in the Practice Hub's tracker, when it was imported from it.",
                max_length=40,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="completed_on",
            field=models.DateField(
                blank=True,
                help_text="When it was done, or when it was not achieved.",
                null=True,
                verbose_name="done or given up on",
            ),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="outcome_note",
            field=models.TextField(
                blank=True,
                help_text="Needed when it is done or not achieved.",
                max_length=1000,
                verbose_name="what was done, or why not",
            ),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                help_text="The account of the person who will do it.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="recommendations_owned",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="revisit_found_done",
            field=models.BooleanField(
                blank=True,
                help_text="Empty until a revisit has checked it.",
                null=True,
                verbose_name="a revisit found it done",
            ),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="tabled_on",
            field=models.DateField(blank=True, null=True, verbose_name="tabled in supervision"),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="tracker_reference",
            field=models.CharField(
                blank=True,
                help_text="The id it had in the Practice Hub's tracker, when it was imported from it.",
                max_length=40,
                null=True,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalrecommendation",
            name="owner_text",
            field=models.CharField(
                blank=True,
                help_text="Who owned it when owners were typed as text; kept when no account matched.",
                max_length=120,
                verbose_name="owner as first written",
            ),
        ),
        migrations.AlterField(
            model_name="historicalrecommendation",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Open"),
                    ("in_progress", "In progress"),
                    ("done", "Done"),
                    ("not_achieved", "Not achieved"),
                ],
                default="open",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="recommendation",
            name="owner_text",
            field=models.CharField(
                blank=True,
                help_text="Who owned it when owners were typed as text; kept when no account matched.",
                max_length=120,
                verbose_name="owner as first written",
            ),
        ),
        migrations.AlterField(
            model_name="recommendation",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Open"),
                    ("in_progress", "In progress"),
                    ("done", "Done"),
                    ("not_achieved", "Not achieved"),
                ],
                default="open",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(fields=["owner", "status"], name="recommendation_owner_idx"),
        ),
        migrations.AddField(
            model_name="sentreminder",
            name="person",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddConstraint(
            model_name="sentreminder",
            constraint=models.UniqueConstraint(fields=("person", "kind", "day"), name="one_reminder_a_person_kind_day"),
        ),
        migrations.RunPython(match_text_owners, migrations.RunPython.noop),
    ]
