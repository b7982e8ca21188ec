"""The checked fetchers of an investigation's rows: each within a case already fetched through cases.access.

A row of another case, or one that does not exist, gives the same 404 as a case nobody
may see.
"""

from __future__ import annotations

from django.http import Http404

from ombuds.cases.models import Case
from ombuds.investigations.models import Allegation, EvidenceItem, Interview, Investigator, Task

# Ids are positive and fit a signed 64-bit column; anything else names nothing (and is never queried).
_LARGEST = 2**63 - 1


def known(row_id: int) -> bool:
    return 0 < row_id <= _LARGEST


def investigator(case: Case, investigator_id: int) -> Investigator:
    if not known(investigator_id):
        raise Http404("no such investigator")
    found = Investigator.objects.filter(case=case, pk=investigator_id).select_related("user").first()
    if found is None:
        raise Http404("no such investigator")
    return found


def allegation(case: Case, allegation_id: int) -> Allegation:
    if not known(allegation_id):
        raise Http404("no such allegation")
    found = Allegation.objects.filter(case=case, pk=allegation_id).select_related("case").first()
    if found is None:
        raise Http404("no such allegation")
    return found


def task(case: Case, task_id: int) -> Task:
    if not known(task_id):
        raise Http404("no such task")
    found = Task.objects.filter(case=case, pk=task_id).select_related("case").first()
    if found is None:
        raise Http404("no such task")
    return found


def interview(case: Case, interview_id: int) -> Interview:
    if not known(interview_id):
        raise Http404("no such interview")
    found = Interview.objects.filter(case=case, pk=interview_id).select_related("case").first()
    if found is None:
        raise Http404("no such interview")
    return found


def evidence(case: Case, evidence_id: int) -> EvidenceItem:
    if not known(evidence_id):
        raise Http404("no such evidence item")
    found = EvidenceItem.objects.filter(case=case, pk=evidence_id).select_related("case").first()
    if found is None:
        raise Http404("no such evidence item")
    return found
