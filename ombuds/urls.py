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
    path("staff/audit/proofs/<int:index>/", audit_views.proof, name="audit_proof"),
    # Administration: policies and training, support resources (404 for all but administrators).
    path("staff/admin/", include("ombuds.policies.admin_urls")),
    path("staff/admin/resources/", include("ombuds.resources.admin_urls")),
    path("staff/admin/questionnaire/", include("ombuds.questionnaire.urls")),
    path("staff/admin/", include("ombuds.administration.urls")),
    path("staff/analytics/", include("ombuds.analytics.urls")),
    path("staff/", include("ombuds.cases.urls")),
    # After the cases' URLs, which register the `ref` converter these use too.
    path("staff/", include("ombuds.outcomes.urls")),
    path("staff/", include("ombuds.watch.urls")),
    path("staff/", include("ombuds.casefile.urls")),
    path("staff/", include("ombuds.retention.urls")),
    path("", include("ombuds.intake.urls")),
    # Public: the policies and the employee's acknowledgement link, and the support page.
    path("", include("ombuds.policies.urls")),
    path("", include("ombuds.resources.urls")),
]
