from django.urls import include, path

from ombuds.api.v1 import api
from ombuds.audit import views as audit_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # Before allauth's: ombuds's own account pages, and the allauth pages staff must not reach.
    path("staff/accounts/", include("ombuds.accounts.urls")),
    path("staff/accounts/", include("allauth.urls")),
    path("staff/audit/", audit_views.trail, name="audit_trail"),
    path("staff/admin/", include("ombuds.administration.urls")),
    path("staff/", include("ombuds.cases.urls")),
    path("", include("ombuds.intake.urls")),
]
