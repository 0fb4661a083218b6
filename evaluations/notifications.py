"""The kinds of notification the evaluations app sends through the core's outbox. Registered
with the core in EvaluationsConfig.ready(); services pass these codes to notification_queue."""

from django.db import models


class NotificationKind(models.TextChoices):
    ALLOCATION = "allocation", "Evaluation allocated"
    SAFEGUARDING_CONCERN = "safeguarding_concern", "Safeguarding concern"
    MODERATION_CONFIRMED = "moderation_confirmed", "Moderation confirmed"
    # The recommendations register's daily reminders (services.reminders_send).
    RECOMMENDATION_REMINDER = "recommendation_reminder", "Recommendations due or overdue"
    RECOMMENDATION_ESCALATION = "recommendation_escalation", "Team's recommendations long overdue"
