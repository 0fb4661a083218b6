from django.urls import path

from evaluations.views import (
    conflicts,
    cycles,
    forms,
    imports,
    lists,
    moderation,
    register,
    revisits,
    safeguarding,
    team,
)

app_name = "evaluations"

urlpatterns = [
    # Lists and pages that read
    path("", lists.evaluation_list, name="list"),
    path("mine/", lists.my_evaluations, name="mine"),
    path("<int:pk>/", lists.evaluation_detail, name="detail"),
    path("<int:pk>/safeguarding/", lists.safeguarding_concern, name="safeguarding"),
    # Safeguarding concerns and the team manager's home (those who act on them)
    path("safeguarding/", safeguarding.safeguarding_list, name="safeguarding_list"),
    path("<int:pk>/safeguarding/acknowledge/", safeguarding.safeguarding_acknowledge, name="safeguarding_acknowledge"),
    path("team/", team.team_home, name="team_home"),
    # The sit-alongside form (the allocated evaluator)
    path("<int:pk>/form/", forms.evaluation_form, name="form"),
    path("<int:pk>/autosave/", forms.evaluation_autosave, name="autosave"),
    path("<int:pk>/not-saved/", conflicts.evaluation_conflicts, name="conflicts"),
    # Cycles and allocation (the Practice Hub)
    path("cycles/", cycles.cycle_list, name="cycle_list"),
    path("cycles/new/", cycles.cycle_create, name="cycle_create"),
    path("cycles/<int:pk>/", cycles.cycle_detail, name="cycle_detail"),
    path("cycles/<int:pk>/allocate/", cycles.allocate_one, name="allocate_one"),
    path("cycles/<int:pk>/allocate/list/", cycles.allocate_list, name="allocate_list"),
    path("cycles/<int:pk>/allocate/sample/", cycles.allocate_sample, name="allocate_sample"),
    path("cycles/<int:pk>/close/", cycles.cycle_close, name="cycle_close"),
    path("<int:pk>/reassign/", cycles.evaluation_reassign, name="reassign"),
    # Revisits (the Practice Hub proposes and allocates; those who read all see the figures)
    path("cycles/<int:pk>/revisits/", revisits.revisit_propose, name="revisit_propose"),
    path("revisits/figures/", revisits.revisit_figures_page, name="revisit_figures"),
    # Moderation: the moderator's queue, blind grading and confirmation; the Practice Hub's
    # sample, panels and new rounds; the consistency figures
    path("moderation/", moderation.moderation_queue, name="moderation_queue"),
    path("moderation/consistency/", moderation.moderation_consistency, name="moderation_consistency"),
    path("moderation/<int:pk>/", moderation.moderation_detail, name="moderation_detail"),
    path("moderation/<int:pk>/grade/", moderation.moderation_grade, name="moderation_grade"),
    path("moderation/<int:pk>/change/", moderation.moderation_change, name="moderation_change"),
    path("moderation/<int:pk>/remove/", moderation.moderation_remove, name="moderation_remove"),
    path("cycles/<int:pk>/moderation/", moderation.cycle_moderation, name="cycle_moderation"),
    path("cycles/<int:pk>/moderation/panels/new/", moderation.panel_create, name="moderation_panel_create"),
    # The recommendations register, "my actions" and the Practice Hub's home
    path("recommendations/", register.register, name="register"),
    path("recommendations/export.<str:format>", register.register_export, name="register_export"),
    path("actions/", register.my_actions, name="my_actions"),
    path("actions/<int:pk>/", register.action_update, name="action_update"),
    path("hub/", register.hub_home, name="hub_home"),
    # History in (the Practice Hub)
    path("import/", imports.import_evaluations, name="import"),
]
