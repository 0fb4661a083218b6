from django.urls import path

from feedback.voice import views

# Each kind's pages by their own names (the menus and the access matrix name them); the
# complaints' own paths stay free.
KINDS = (("compliments", "compliment"), ("responses", "response"), ("advocacy", "referral"))

urlpatterns = [
    path("compliments/shareable/", views.shareable_extracts, name="shareable_extracts"),
    path("import/", views.import_feedback, name="voice_import"),
]
for kind, singular in KINDS:
    urlpatterns += [
        path(f"{kind}/", views.voice_list, {"kind": kind}, name=kind),
        path(f"{kind}/new/", views.voice_record, {"kind": kind}, name=f"{singular}_new"),
        path(f"{kind}/<int:pk>/", views.voice_detail, {"kind": kind}, name=f"{singular}_detail"),
        path(f"{kind}/<int:pk>/change/", views.voice_change, {"kind": kind}, name=f"{singular}_change"),
        path(
            f"{kind}/<int:pk>/change/not-saved/",
            views.voice_conflicts,
            {"kind": kind},
            name=f"{singular}_conflicts",
        ),
    ]
