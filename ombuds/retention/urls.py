"""Retention pages, under /staff/ (ombuds/urls.py)."""

from django.urls import path

# Importing the case URLs registers the <ref:...> converter.
from ombuds.cases import urls as _case_urls  # noqa: F401
from ombuds.retention import views

app_name = "retention"

urlpatterns = [
    path("cases/<ref:reference>/legal-hold/", views.legal_hold, name="legal_hold"),
    path("cases/<ref:reference>/legal-hold/lift/", views.lift_hold, name="lift_hold"),
    path("retention/holds/", views.holds, name="holds"),
    path("retention/subject-access/", views.subject_access_request, name="subject_access"),
    path("admin/retention/", views.periods, name="periods"),
]
