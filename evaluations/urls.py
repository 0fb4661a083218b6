from django.urls import path

from evaluations.views import conflicts, cycles, forms, imports, lists, register, safeguarding, team

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
    # The recommendations register, "my actions" and the Practice Hub's home
    path("recommendations/", register.register, name="register"),
    path("recommendations/export.<str:format>", register.register_export, name="register_export"),
    path("actions/", register.my_actions, name="my_actions"),
    path("actions/<int:pk>/", register.action_update, name="action_update"),
    path("hub/", register.hub_home, name="hub_home"),
    # History in (the Practice Hub)
    path("import/", imports.import_evaluations, name="import"),
]
