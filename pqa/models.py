"""The PQA core: the organisation (service areas and teams), people and their roles, and
the notification outbox. The core knows nothing of evaluations or feedback."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords


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

    class Kind(models.TextChoices):
        SAFEGUARDING_CONCERN = "safeguarding_concern", "Safeguarding concern"
        ALLOCATION = "allocation", "Evaluation allocated"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=40, choices=Kind.choices, default=Kind.OTHER)
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
        return f"{self.get_kind_display()}: {self.subject}"
