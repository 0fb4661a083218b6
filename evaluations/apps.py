from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Practice evaluations"

    def ready(self):
        """Tell the core what this app brings: menu entries, role homes, JSON endpoints and
        notification kinds (pqa.registry)."""
        from evaluations import import_jobs, permissions
        from evaluations.notifications import NotificationKind
        from pqa import jobs, registry
        from pqa.models import Role

        # The roles whose people are given evaluations to do (senior practitioners, managers
        # and QA staff): "My evaluations" is their work; leaders and customer relations have none.
        evaluating = {Role.EVALUATOR, Role.TEAM_MANAGER, Role.MODERATOR, Role.PRACTICE_HUB}
        registry.menu(label="Your team", url_name="evaluations:team_home", roles=[Role.TEAM_MANAGER], order=5)
        # A long menu folds into groups (pqa.registry): the evaluations' own pages, moderation,
        # and the recommendations with the actions they give people.
        registry.menu(
            label="My evaluations", url_name="evaluations:mine", roles=evaluating, order=10, group="Evaluations"
        )
        registry.menu(
            label="Evaluations",
            url_name="evaluations:list",
            roles=registry.ALL_ROLES - {Role.CUSTOMER_RELATIONS},
            order=20,
            group="Evaluations",
        )
        registry.menu(
            label="Safeguarding concerns",
            url_name="evaluations:safeguarding_list",
            roles=[Role.PRACTICE_HUB, Role.TEAM_MANAGER],
            order=25,
            group="Evaluations",
            permission=lambda user: (
                permissions.can_see_all_safeguarding_concerns(user)
                or permissions.can_see_team_safeguarding_concerns(user)
            ),
        )
        registry.menu(
            label="Cycles",
            url_name="evaluations:cycle_list",
            roles=permissions.ALLOCATE_ROLES,
            order=30,
            group="Evaluations",
        )
        registry.menu(
            label="Import",
            url_name="evaluations:import",
            roles=permissions.ALLOCATE_ROLES,
            order=40,
            group="Evaluations",
        )
        registry.menu(
            label="Revisits",
            url_name="evaluations:revisit_figures",
            roles=permissions.READ_ALL_ROLES,
            order=45,
            group="Evaluations",
        )
        # Moderation: the queue for those who moderate, the consistency figures for those who read all.
        registry.menu(
            label="Moderation",
            url_name="evaluations:moderation_queue",
            roles=permissions.MODERATE_ROLES,
            order=15,
            group="Moderation",
        )
        registry.menu(
            label="Moderation consistency",
            url_name="evaluations:moderation_consistency",
            roles=permissions.READ_ALL_ROLES,
            order=35,
            group="Moderation",
        )

        registry.home(role=Role.EVALUATOR, url_name="evaluations:mine")
        # The recommendations register: its overdue actions by team are the Practice Hub's home.
        registry.menu(
            label="Recommendations",
            url_name="evaluations:register",
            roles=[*permissions.REGISTER_ROLES, Role.TEAM_MANAGER],
            order=27,
            group="Recommendations",
            permission=permissions.can_see_register,
        )
        # Anyone may own an action; customer relations and administrators are not given them.
        registry.menu(
            label="My actions",
            url_name="evaluations:my_actions",
            roles=registry.ALL_ROLES - {Role.CUSTOMER_RELATIONS, Role.ADMINISTRATOR},
            order=12,
            group="Recommendations",
        )
        registry.menu(label="Overview", url_name="evaluations:hub_home", roles=[Role.PRACTICE_HUB], order=1)
        registry.home(role=Role.PRACTICE_HUB, url_name="evaluations:hub_home")
        registry.home(role=Role.ADMINISTRATOR, url_name="evaluations:cycle_list")
        registry.home(role=Role.TEAM_MANAGER, url_name="evaluations:team_home")
        registry.home(role=Role.MODERATOR, url_name="evaluations:moderation_queue")

        registry.json_endpoint("evaluations:autosave")
        # Web imports run in the background, with a progress bar (pqa.jobs).
        jobs.register_importer(
            import_jobs.IMPORTER, label="evaluations", run=import_jobs.run, url_name="evaluations:import"
        )
        for kind in NotificationKind:
            registry.notification_kind(kind.value, kind.label)
        # The BI feed's tables (docs/feed.md): codes, dates and references, no free text.
        from evaluations import selectors

        registry.feed_table("evaluations", rows=selectors.feed_evaluations, columns=selectors.EVALUATION_FEED_COLUMNS)
        registry.feed_table(
            "pillar_grades", rows=selectors.feed_pillar_grades, columns=selectors.PILLAR_GRADE_FEED_COLUMNS
        )
        registry.feed_table("moderations", rows=selectors.feed_moderations, columns=selectors.MODERATION_FEED_COLUMNS)
        registry.feed_table(
            "recommendations", rows=selectors.feed_recommendations, columns=selectors.RECOMMENDATION_FEED_COLUMNS
        )
