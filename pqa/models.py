"""The PQA core: the organisation (service areas and teams), people and their roles, and
the notification outbox. The core knows nothing of evaluations or feedback."""

import hashlib
import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django_otp.models import Device, ThrottlingMixin
from simple_history.models import HistoricalRecords

from pqa.constraints import ConstraintsCheckedInPython


class Role(models.TextChoices):
    EVALUATOR = "evaluator", "Evaluator"
    MODERATOR = "moderator", "Moderator"
    PRACTICE_HUB = "practice_hub", "Practice Hub"
    TEAM_MANAGER = "team_manager", "Team manager"
    CUSTOMER_RELATIONS = "customer_relations", "Customer relations"
    LEADER = "leader", "Leader"
    ADMINISTRATOR = "administrator", "Administrator"


class ServiceArea(models.Model):
    """A service of the trust, e.g. Children in Care, holding several teams."""

    name = models.CharField(max_length=120, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120)
    history = HistoricalRecords()

    class Meta:
        ordering = ["service_area__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service_area", "name"], name="team_name_unique_in_service_area"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.service_area.name})"


class PQAUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Sign-in is by username or e-mail address, in any letter case. A username match wins;
        # an ambiguous one matches nobody (a failed sign-in, never a server error).
        for lookup in ({"username__iexact": username}, {"email__iexact": username}):
            matches = list(self.filter(**lookup)[:2])
            if len(matches) == 1:
                return matches[0]
            if matches:
                break
        raise self.model.DoesNotExist(f"No single account matches {username!r}")


class User(AbstractUser):
    """A member of staff. One role decides what they may see; anyone may be allocated an
    evaluation (evaluators are senior practitioners, managers and QA staff)."""

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.EVALUATOR)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text="The team this person works in or manages, where it applies.",
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = PQAUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_unique_case_insensitive", condition=~models.Q(email="")
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.role == Role.ADMINISTRATOR


class Notification(models.Model):
    """The outbox: a message written in the same transaction as the change that causes it,
    so a broker outage delays it but never loses it. Delivered once (sent_at)."""

    # The apps register their kinds (pqa.registry.notification_kind) and the outbox refuses
    # any other (pqa.services.notification_queue): no choices here, so a new app's kind
    # needs no migration of the core.
    kind = models.CharField(max_length=40, help_text="A kind registered by the app that sends it.")
    recipients = models.JSONField(help_text="E-mail addresses.")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="notification_pending_idx")]

    def __str__(self) -> str:
        from pqa.registry import notification_kind_label

        return f"{notification_kind_label(self.kind)}: {self.subject}"


class EditConflictQuerySet(models.QuerySet):
    def unresolved_for(self, *, user, instance) -> "EditConflictQuerySet":
        """This person's refused versions of this record still waiting to be reconciled, newest first."""
        return self.filter(
            user=user,
            content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
            object_id=instance.pk,
            resolved_at__isnull=True,
        ).order_by("-refused_at", "-pk")


class EditConflict(ConstraintsCheckedInPython):
    """A version of a record that someone saved but that was refused, because another save
    came first (optimistic locking on `version`). It is kept so that nothing typed is lost:
    the person compares it with the saved version and either applies theirs or keeps the
    saved one; either way it is then resolved. Any app's versioned record can have one."""

    class Resolution(models.TextChoices):
        APPLIED = "applied", "Their version was applied"
        DISCARDED = "discarded", "The saved version was kept"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="edit_conflicts")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    based_on_version = models.PositiveIntegerField(help_text="The version the person started from.")
    winning_version = models.PositiveIntegerField(help_text="The version saved first, which was kept.")
    data = models.JSONField(encoder=DjangoJSONEncoder, help_text="What the person tried to save.")
    refused_at = models.DateTimeField(help_text="When their save was last refused.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)

    objects = EditConflictQuerySet.as_manager()

    class Meta:
        ordering = ["-refused_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "user", "resolved_at"], name="editconflict_record_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, resolution="")
                | (models.Q(resolved_at__isnull=False) & ~models.Q(resolution="")),
                name="editconflict_resolved_with_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.name} {self.object_id}: version {self.based_on_version} refused for {self.user}"


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A person's recovery codes, as a second factor of django-otp: each signs in once instead
    of a code from the authenticator app, so a lost phone is not a call to an administrator.

    Only a SHA-256 digest of each code is stored (RecoveryCode), never the code: someone who
    reads the database cannot sign in with what they read. A digest without a salt or key is
    enough because each code is chosen at random from 2**79 (pqa.services
    two_factor_recovery_codes_generate), which no search can cover. (django-otp's own
    otp_static plugin keeps its codes as written, so it is not used.) Wrong codes slow down
    further tries exactly as wrong app codes do (django-otp's throttling)."""

    class Meta:
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"

    def __str__(self) -> str:
        return f"Recovery codes of {self.user}"

    def get_throttle_factor(self) -> int:
        # The same slowing down as the authenticator app's (OTP_TOTP_THROTTLE_FACTOR, default 1).
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def codes_left(self) -> int:
        return self.codes.count()

    def verify_token(self, token) -> bool:
        """django-otp's check: True if `token` is one of the unused codes, which is then used
        up. Deleting the row is the check, so two sign-ins racing with one code cannot both win."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        used, _ = self.codes.filter(digest=recovery_code_digest(str(token))).delete()
        if used:
            self.throttle_reset(commit=False)
            self.save(update_fields=["throttling_failure_timestamp", "throttling_failure_count"])
            return True
        self.throttle_increment()
        return False


def recovery_code_normalise(typed: str) -> str:
    """A recovery code as stored: lower case, without the spaces and hyphens shown between
    its groups or typed by the person."""
    return re.sub(r"[\s-]", "", typed or "").lower()


def recovery_code_digest(typed: str) -> str:
    return hashlib.sha256(recovery_code_normalise(typed).encode()).hexdigest()


class RecoveryCode(models.Model):
    """One unused recovery code, by its digest only. Used codes are deleted."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the code; the code itself is never stored.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique_in_device")]

    def __str__(self) -> str:
        return "Recovery code"


class ImportJob(models.Model):
    """A file being imported in the background (pqa.jobs), by the importer an app registered.

    States: queued -> checking -> writing -> done, or -> failed from any of them. `done` with
    problems means the file was checked and nothing was written; `failed` means the import
    itself broke (nothing was written either: the importer writes in one transaction). The
    uploaded bytes are kept only until the job ends. The row is the import's history: who,
    which file, when, and what came of it."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        CHECKING = "checking", "Checking the file"
        WRITING = "writing", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    FINISHED_STATES = (State.DONE, State.FAILED)

    importer = models.CharField(max_length=40, help_text="The name an app registered it under (pqa.jobs).")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    file_name = models.CharField(max_length=255, blank=True)
    data = models.BinaryField(blank=True, editable=False, help_text="The uploaded file, until the job ends.")
    options = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=False, help_text="Check the file only.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="The first problems, as 'row N, column C: reason'.")
    problem_count = models.PositiveIntegerField(default=0)
    problems_stopped = models.BooleanField(default=False, help_text="Checking stopped at the most problems it lists.")
    problems_note = models.JSONField(default=list, blank=True, help_text="What the list of problems leaves out.")
    summary = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=list, blank=True, help_text="What else the import made, one line each.")
    error = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="importjob_state_idx"),
            models.Index(fields=["user", "importer", "created_at"], name="importjob_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.importer} import {self.pk} ({self.get_state_display().lower()})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == self.State.DONE and self.problem_count == 0

    @property
    def problems_count_text(self) -> str:
        text = f"{self.problem_count} problem{'s' if self.problem_count != 1 else ''}"
        return f"at least {text}" if self.problems_stopped else text


# --- KPIs (the performance side): defined in pqa/kpis/models.py, part of this app ---------

from pqa.kpis.models import Indicator, IndicatorTarget, IndicatorValue  # noqa: E402, F401
