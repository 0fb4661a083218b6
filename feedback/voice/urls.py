from django.urls import path, re_path

from feedback.voice import views

# Only the three kinds this module owns match: the complaints' own paths stay free.
KIND = r"(?P<kind>compliments|responses|advocacy)"

urlpatterns = [
    path("compliments/shareable/", views.shareable_extracts, name="shareable_extracts"),
    path("import/", views.import_feedback, name="voice_import"),
    # The lists by their own names: the menus link to them.
    path("compliments/", views.voice_list, {"kind": "compliments"}, name="compliments"),
    path("responses/", views.voice_list, {"kind": "responses"}, name="responses"),
    path("advocacy/", views.voice_list, {"kind": "advocacy"}, name="advocacy"),
    re_path(rf"^{KIND}/new/$", views.voice_record, name="voice_record"),
    re_path(rf"^{KIND}/(?P<pk>[0-9]+)/$", views.voice_detail, name="voice_detail"),
]
