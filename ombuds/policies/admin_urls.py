"""Administrators' pages for policies and training, included at /staff/admin/ by ombuds/urls.py."""

from django.urls import path

from ombuds.policies import admin_views as views

app_name = "policies_admin"

urlpatterns = [
    path("policies/", views.index, name="index"),
    # Fixed names before <slug>: actions.RESERVED keeps a policy from taking them.
    path("policies/new/", views.new_policy, name="new"),
    path("policies/acknowledgements/", views.report, name="report"),
    path("policies/acknowledgements.csv", views.report_csv, name="report_csv"),
    path("policies/<slug:slug>/", views.policy_page, name="policy"),
    path("policies/<slug:slug>/draft/", views.save_draft, name="save_draft"),
    path("policies/<slug:slug>/next-version/", views.next_version, name="next_version"),
    path("policies/<slug:slug>/publish/", views.publish, name="publish"),
    path("policies/<slug:slug>/send/", views.send, name="send"),
    path("policies/<slug:slug>/versions/<int:number>/", views.version_page, name="version"),
    path("training/", views.training, name="training"),
    path("training/import/", views.training_import, name="training_import"),
    path("training/<int:session_id>/", views.training_session, name="training_session"),
]
