from django.urls import path

from ombuds.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("settings/", views.staff_settings, name="settings"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/export/", views.case_export, name="export"),
    path("cases/<str:reference>/steps/<str:name>/", views.case_transition, name="transition"),
    path("cases/<str:reference>/messages/", views.case_message, name="message"),
    path("cases/<str:reference>/notes/", views.case_note, name="note"),
    path("cases/<str:reference>/assign/", views.case_assign, name="assign"),
    path("cases/<str:reference>/people/link/", views.case_link_person, name="link_person"),
    path("cases/<str:reference>/conflicts/", views.case_add_conflict, name="add_conflict"),
    path("cases/<str:reference>/appeals/<int:appeal_id>/", views.appeal_resolve, name="appeal"),
    path("cases/<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
