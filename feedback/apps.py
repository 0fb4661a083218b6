from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Complaints, compliments and child and family feedback."""

    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        # --- Compliments, responses and advocacy referrals (feedback.voice) ---
        from feedback.voice import import_jobs
        from feedback.voice.permissions import LIST_ROLES, RECORD_ROLES, can_list_voice
        from pqa import jobs, registry

        registry.menu(
            label="Compliments", url_name="feedback:compliments", roles=LIST_ROLES, order=50, permission=can_list_voice
        )
        registry.menu(
            label="Child and family feedback",
            url_name="feedback:responses",
            roles=LIST_ROLES,
            order=51,
            permission=can_list_voice,
        )
        registry.menu(
            label="Advocacy referrals",
            url_name="feedback:advocacy",
            roles=LIST_ROLES,
            order=52,
            permission=can_list_voice,
        )
        registry.menu(label="Import feedback", url_name="feedback:voice_import", roles=RECORD_ROLES, order=53)
        for kind, name in import_jobs.IMPORTERS.items():
            jobs.register_importer(name, label=kind, run=import_jobs.RUNNERS[kind], url_name="feedback:voice_import")
        if hasattr(registry, "demo_loader"):  # the core's demo loader arrives with the complaints
            from feedback.voice.demo import voice_demo_load

            registry.demo_loader("feedback: compliments, responses and advocacy", voice_demo_load, 60)
        # --- end of feedback.voice ---
