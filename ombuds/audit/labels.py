"""The names of audit events as staff read them, in their language.

The audit trail, the event proof page and the case timeline show these; the stored
number and the JSON exports keep the stable English name (EventType.name), which
verifiers and scripts rely on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from ombuds.audit.models import EventType

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

LABELS: dict[EventType, StrOrPromise] = {
    EventType.REPORT_FILED: _("report filed"),
    EventType.REPORTER_MESSAGE: _("reporter message"),
    EventType.REPORTER_ATTACHMENT: _("reporter attachment"),
    EventType.APPEAL_FILED: _("appeal filed"),
    EventType.CASE_VIEWED: _("case viewed"),
    EventType.ATTACHMENT_DOWNLOADED: _("attachment downloaded"),
    EventType.CASE_EXPORTED: _("case exported"),
    EventType.CASE_ACKNOWLEDGED: _("case acknowledged"),
    EventType.CASE_ASSIGNED: _("case assigned"),
    EventType.ASSESSMENT_STARTED: _("assessment started"),
    EventType.INVESTIGATION_STARTED: _("investigation started"),
    EventType.CASE_REFERRED: _("case referred"),
    EventType.CLOSURE_PROPOSED: _("closure proposed"),
    EventType.CLOSURE_APPROVED: _("closure approved"),
    EventType.CLOSURE_REJECTED: _("closure rejected"),
    EventType.CASE_DECIDED: _("case decided"),
    EventType.CASE_CLOSED: _("case closed"),
    EventType.CASE_REOPENED: _("case reopened"),
    EventType.STAFF_MESSAGE: _("staff message"),
    EventType.NOTE_ADDED: _("note added"),
    EventType.APPEAL_RESOLVED: _("appeal resolved"),
    EventType.CLOSURE_WITHDRAWN: _("closure withdrawn"),
    EventType.DEADLINE_REMINDER: _("deadline reminder"),
    EventType.ESCALATED_TO_LEAD: _("escalated to lead"),
    EventType.ESCALATED_TO_OVERSIGHT: _("escalated to oversight"),
    EventType.CONFLICTS_CHANGED: _("conflicts changed"),
    EventType.PERSON_LINKED: _("person linked"),
    EventType.CONFLICT_ADDED: _("conflict added"),
    EventType.ROUTED_TO_OVERSIGHT: _("routed to oversight"),
    EventType.UNASSIGNED_FOR_CONFLICT: _("unassigned for conflict"),
    EventType.KEEP_OUT_PROPOSED: _("keep out proposed"),
    EventType.KEEP_OUT_DECIDED: _("keep out decided"),
    EventType.CONFLICT_REMOVED: _("conflict removed"),
    EventType.OVERSIGHT_CONFLICTED: _("oversight conflicted"),
    EventType.DIRECTORY_IMPORTED: _("directory imported"),
    EventType.ORGANISATION_CONFIGURED: _("organisation configured"),
    EventType.POOL_CHANGED: _("pool changed"),
    EventType.STAFF_CREATED: _("staff created"),
    EventType.STAFF_CHANGED: _("staff changed"),
    EventType.TOKEN_CREATED: _("token created"),
    EventType.TOKEN_REVOKED: _("token revoked"),
    EventType.STAFF_ENROLMENT_LINK: _("staff enrolment link"),
    EventType.STAFF_ROLES_CHANGED: _("staff roles changed"),
    EventType.STAFF_DEACTIVATED: _("staff deactivated"),
    EventType.STAFF_MFA_RESET: _("staff mfa reset"),
    EventType.STAFF_LINKED: _("staff linked"),
    EventType.STAFF_KEY_CREATED: _("staff key created"),
    EventType.STAFF_KEY_REPLACED: _("staff key replaced"),
    EventType.STAFF_KEY_ROTATED: _("staff key rotated"),
    EventType.STAFF_RETIRED: _("staff retired"),
    EventType.KEY_GRANTED: _("key granted"),
    EventType.KEY_REVOKED: _("key revoked"),
    EventType.RECOVERY_KEY_CREATED: _("recovery key created"),
    EventType.ACCESS_RECOVERED: _("access recovered"),
    EventType.CASE_SEALED: _("case sealed"),
    EventType.MEASURE_RECORDED: _("measure recorded"),
    EventType.MEASURE_EXTENDED: _("measure extended"),
    EventType.MEASURE_ENDED: _("measure ended"),
    EventType.OUTCOME_PROPOSED: _("outcome proposed"),
    EventType.OUTCOME_APPROVED: _("outcome approved"),
    EventType.OUTCOME_REJECTED: _("outcome rejected"),
    EventType.OUTCOME_WITHDRAWN: _("outcome withdrawn"),
    EventType.OUTCOME_DECIDED: _("outcome decided"),
    EventType.REHIRE_LISTED: _("rehire listed"),
    EventType.REHIRE_LIFTED: _("rehire lifted"),
    EventType.REHIRE_CHECKED: _("rehire checked"),
    EventType.REHIRE_CHECK_VIEWED: _("rehire check viewed"),
    EventType.OUTCOME_POLICY_CONFIGURED: _("outcome policy configured"),
    EventType.REHIRE_KEY_CREATED: _("rehire key created"),
    EventType.REPORTER_LINKED: _("reporter linked"),
    EventType.RETALIATION_FLAGGED: _("retaliation flagged"),
    EventType.RETALIATION_FLAG_DECIDED: _("retaliation flag decided"),
    EventType.RETALIATION_CASE_OPENED: _("retaliation case opened"),
    EventType.ACCOUNTABILITY_CASE_OPENED: _("accountability case opened"),
    EventType.LINKED_CASE_OPENED: _("linked case opened"),
    EventType.CASE_FILE_PRODUCED: _("case file produced"),
    EventType.POLICY_CREATED: _("policy created"),
    EventType.POLICY_DRAFT_SAVED: _("policy draft saved"),
    EventType.POLICY_PUBLISHED: _("policy published"),
    EventType.ACKNOWLEDGEMENTS_REQUESTED: _("acknowledgements requested"),
    EventType.POLICY_ACKNOWLEDGED: _("policy acknowledged"),
    EventType.ACKNOWLEDGEMENT_REMINDERS: _("acknowledgement reminders"),
    EventType.ACKNOWLEDGEMENTS_EXPORTED: _("acknowledgements exported"),
    EventType.TRAINING_IMPORTED: _("training imported"),
    EventType.SUPPORT_RESOURCE_CHANGED: _("support resource changed"),
    EventType.SUPPORT_SETTINGS_CHANGED: _("support settings changed"),
    EventType.INVESTIGATOR_NAMED: _("investigator named"),
    EventType.INVESTIGATOR_RELEASED: _("investigator released"),
    EventType.ALLEGATION_ADDED: _("allegation added"),
    EventType.ALLEGATION_FOUND: _("allegation found"),
    EventType.TASK_ADDED: _("task added"),
    EventType.TASK_DONE: _("task done"),
    EventType.TASK_REOPENED: _("task reopened"),
    EventType.INTERVIEW_RECORDED: _("interview recorded"),
    EventType.MINUTES_REVISED: _("minutes revised"),
    EventType.MINUTES_ANSWERED: _("minutes answered"),
    EventType.EVIDENCE_ADDED: _("evidence added"),
    EventType.EVIDENCE_VIEWED: _("evidence viewed"),
    EventType.EVIDENCE_DOWNLOADED: _("evidence downloaded"),
    EventType.EVIDENCE_EXPORTED: _("evidence exported"),
    EventType.EVIDENCE_VERIFIED: _("evidence verified"),
    EventType.CONCERNED_INFORMED: _("concerned informed"),
    EventType.INFORMING_DEFERRED: _("informing deferred"),
    EventType.CONCERNED_RESPONDED: _("concerned responded"),
    EventType.INVESTIGATION_VIEWED: _("investigation viewed"),
    EventType.INVESTIGATION_POLICY_CONFIGURED: _("investigation policy configured"),
    EventType.QUESTIONNAIRE_DRAFT_CHANGED: _("questionnaire draft changed"),
    EventType.QUESTIONNAIRE_PUBLISHED: _("questionnaire published"),
    EventType.REPEAT_OFFENDER_ALERT: _("repeat offender alert"),
    EventType.ESCROW_HELD: _("escrow held"),
    EventType.ESCROW_RELEASED: _("escrow released"),
    EventType.ESCROW_ENDED: _("escrow ended"),
    EventType.STAFF_INVITED: _("staff invited"),
    EventType.STAFF_REACTIVATED: _("staff reactivated"),
    EventType.DIRECTORY_CHECKED: _("directory checked"),
    EventType.DIRECTORY_UPLOAD_DISCARDED: _("directory upload discarded"),
}


def event_label(event_type: int) -> str:
    """The translated name of an event type; an unknown or unlabelled one falls back to its English name."""
    try:
        kind = EventType(event_type)
    except ValueError:
        return str(event_type)
    return str(LABELS.get(kind, kind.name.replace("_", " ").lower()))
