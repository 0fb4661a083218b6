from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Complaints, compliments and child and family feedback."""

    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        """Tell the core what feedback brings (pqa.registry)."""
        self.ready_complaints()
        self.ready_voice()

    def ready_complaints(self):
        from feedback.complaints import import_jobs, selectors
        from feedback.complaints.demo import complaints_demo_load
        from feedback.complaints.notifications import DIGEST_KIND, DIGEST_LABEL
        from pqa import jobs, registry
        from pqa.models import Role

        registry.menu(
            label="Complaints due",
            url_name="feedback:complaints:home",
            roles=selectors.MANAGE_ROLES,
            order=50,
            group="Feedback",
        )
        registry.menu(
            label="Complaints",
            url_name="feedback:complaints:list",
            roles=selectors.READ_ROLES,
            order=51,
            group="Feedback",
        )
        registry.home(role=Role.CUSTOMER_RELATIONS, url_name="feedback:complaints:home")
        registry.json_endpoint("feedback:complaints:register_json")
        registry.notification_kind(DIGEST_KIND, DIGEST_LABEL)
        jobs.register_importer(
            import_jobs.IMPORTER, label="complaints", run=import_jobs.run, url_name="feedback:voice_import"
        )
        registry.demo_loader("complaints", complaints_demo_load, order=20)
        # The BI feed (docs/feed.md): codes, dates and references, no free text.
        registry.feed_table("complaints", rows=selectors.feed_complaints, columns=selectors.COMPLAINT_FEED_COLUMNS)

    def ready_voice(self):
        # --- Compliments, responses and advocacy referrals (feedback.voice) ---
        from feedback.voice import import_jobs
        from feedback.voice.permissions import LIST_ROLES, RECORD_ROLES, can_list_voice
        from pqa import jobs, registry

        registry.menu(
            label="Compliments",
            url_name="feedback:compliments",
            roles=LIST_ROLES,
            order=52,
            group="Feedback",
            permission=can_list_voice,
        )
        registry.menu(
            label="Child and family feedback",
            url_name="feedback:responses",
            roles=LIST_ROLES,
            order=53,
            group="Feedback",
            permission=can_list_voice,
        )
        registry.menu(
            label="Advocacy referrals",
            url_name="feedback:advocacy",
            roles=LIST_ROLES,
            order=54,
            group="Feedback",
            permission=can_list_voice,
        )
        registry.menu(
            label="Import feedback", url_name="feedback:voice_import", roles=RECORD_ROLES, order=55, group="Feedback"
        )
        for kind, name in import_jobs.IMPORTERS.items():
            jobs.register_importer(name, label=kind, run=import_jobs.RUNNERS[kind], url_name="feedback:voice_import")
        from feedback.voice.demo import voice_demo_load

        registry.demo_loader("feedback: compliments, responses and advocacy", voice_demo_load, order=60)
        # The BI feed (docs/feed.md): codes, dates and references, no extracts or comments.
        from feedback.voice import selectors as voice

        registry.feed_table("compliments", rows=voice.feed_compliments, columns=voice.COMPLIMENT_FEED_COLUMNS)
        registry.feed_table("responses", rows=voice.feed_responses, columns=voice.RESPONSE_FEED_COLUMNS)
        registry.feed_table("advocacy", rows=voice.feed_advocacy, columns=voice.ADVOCACY_FEED_COLUMNS)
        # --- end of feedback.voice ---
