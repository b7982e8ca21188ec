from django.urls import path, register_converter

from ombuds.cases import views
from ombuds.investigations import urls as investigation_urls


class ReferenceConverter:
    """Case references: C- and Crockford base-32 (anything else is a 404 before any query)."""

    regex = "[0-9A-Z-]{1,16}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

app_name = "cases"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("settings/", views.staff_settings, name="settings"),
    path("cases/<ref:reference>/", views.case_detail, name="case"),
    path("cases/<ref:reference>/export/", views.case_export, name="export"),
    path("cases/<ref:reference>/steps/<str:name>/", views.case_transition, name="transition"),
    path("cases/<ref:reference>/messages/", views.case_message, name="message"),
    path("cases/<ref:reference>/notes/", views.case_note, name="note"),
    path("cases/<ref:reference>/assign/", views.case_assign, name="assign"),
    path("cases/<ref:reference>/people/link/", views.case_link_person, name="link_person"),
    path("cases/<ref:reference>/conflicts/", views.case_add_conflict, name="add_conflict"),
    path("cases/<ref:reference>/conflicts/lift/", views.case_lift_conflict, name="lift_conflict"),
    path("cases/<ref:reference>/keep-out/<int:proposal_id>/", views.keep_out_decide, name="keep_out_decide"),
    path("cases/<ref:reference>/appeals/<int:appeal_id>/", views.appeal_resolve, name="appeal"),
    path("cases/<ref:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    # The investigation of a case (ombuds.investigations).
    *investigation_urls.case_patterns(),
]
