"""A confirmed directory import, and what follows it: staff accounts linked, conflicts recomputed.

As after `ombuds directory import`: every staff account without a directory person is
linked to the person with its e-mail, and the conflict set of every case that names a
directory person is computed again, so a new manager of an accused person loses access
to the case at once (ombuds.cases.actions.directory_changed).
"""

from __future__ import annotations

from django.contrib.auth.models import User

from ombuds.cases import actions
from ombuds.directory import uploads
from ombuds.directory.importer import ImportResult
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import DirectoryUpload


def confirm(*, upload_id: int, digest: str, acting_user: User) -> tuple[DirectoryUpload, ImportResult]:
    upload, result = uploads.confirm(upload_id=upload_id, digest=digest, acting_user=acting_user)
    if result.ok:
        linked = link_staff_by_email()
        changed = actions.directory_changed() if result.changed_person_ids or linked else 0
        uploads.record_linked(upload, linked=linked, conflicts_changed=changed)
    return upload, result
