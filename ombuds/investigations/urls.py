"""The investigation's staff pages, under each case (/staff/cases/<reference>/investigation/...).

They join the case pages' URL list (ombuds.cases.urls), so they share its namespace and
its reference converter, and every walk of the case routes finds them.
"""

from django.urls import URLPattern, path

from ombuds.investigations import views

BASE = "cases/<ref:reference>/investigation/"


def case_patterns() -> list[URLPattern]:
    """The patterns, made when ombuds.cases.urls asks: after it has registered the reference converter."""
    return [
        path(BASE, views.investigation, name="investigation"),
        path(BASE + "open/", views.open_investigation, name="investigation_open"),
        path(BASE + "investigators/", views.name_investigators, name="investigators"),
        path(
            BASE + "investigators/<int:investigator_id>/release/",
            views.release_investigator,
            name="investigator_release",
        ),
        path(BASE + "allegations/", views.add_allegation, name="allegations"),
        path(BASE + "allegations/<int:allegation_id>/finding/", views.record_finding, name="allegation_finding"),
        path(BASE + "tasks/", views.add_task, name="tasks"),
        path(BASE + "tasks/<int:task_id>/state/", views.task_state, name="task_state"),
        path(BASE + "interviews/", views.record_interview, name="interviews"),
        path(BASE + "interviews/<int:interview_id>/", views.interview, name="interview"),
        path(BASE + "evidence/", views.add_evidence, name="evidence_add"),
        path(BASE + "evidence/export/", views.evidence_export, name="evidence_export"),
        path(BASE + "evidence/<int:evidence_id>/", views.evidence_item, name="evidence"),
        path(BASE + "evidence/<int:evidence_id>/download/", views.evidence_download, name="evidence_download"),
        path(BASE + "evidence/<int:evidence_id>/verify/", views.evidence_verify, name="evidence_verify"),
        path(BASE + "evidence/<int:evidence_id>/custody/", views.evidence_custody, name="evidence_custody"),
        path(BASE + "people/informing/", views.record_informing, name="informing"),
        path(BASE + "people/responses/", views.record_response, name="responses"),
    ]
