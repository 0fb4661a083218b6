from django.urls import path

from feedback.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("due/", views.complaint_home, name="home"),
    path("new/", views.complaint_create, name="create"),
    path("register.json", views.complaint_register_json, name="register_json"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/edit/", views.complaint_edit, name="edit"),
    path("<int:pk>/edit/not-saved/", views.complaint_conflicts, name="conflicts"),
    path("<int:pk>/extend/<int:stage>/", views.complaint_extend, name="extend"),
    path("<int:pk>/respond/<int:stage>/", views.complaint_respond, name="respond"),
    path("<int:pk>/escalate/", views.complaint_escalate, name="escalate"),
    path("<int:pk>/panel/", views.complaint_panel, name="panel"),
    path("<int:pk>/ombudsman/", views.complaint_ombudsman, name="ombudsman"),
    path("<int:pk>/learning/", views.complaint_learning, name="learning"),
]
