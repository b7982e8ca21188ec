"""Directory files: checked first (a dry run), imported only when an administrator confirms.

The administration pages upload a file, `check` stores it in OMBUDS_DIRECTORY_UPLOAD_DIR
under its SHA-256 digest and runs the importer's dry run on it; the administrator reads
what the import would do and confirms. `confirm` imports the stored file, after
checking that its bytes still have the digest the dry run was shown with, so what is
imported is exactly what was checked: never a second upload, never a file changed on
disk in between. Only one file waits at a time: a newer one discards the older.

Every step is an audit event (directory checked, directory imported, directory upload
discarded) with the digest and counts; the file's contents never enter the trail. The
same importer runs as for `ombuds directory import` (ombuds.directory.importer), which
records its imports here too (`record_command_import`), so the administration pages
list them all.

Linking staff accounts and recomputing conflicts after an import belong to the caller
(ombuds.administration.directory and the command), as for the command.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.directory import hints
from ombuds.directory.importer import ImportResult, Progress, import_directory
from ombuds.directory.models import DirectoryUpload, Person, UploadSource, UploadState

# How many errors and manager changes a summary keeps; the counts are always complete.
LISTED = 200
MAX_NAME = 200


class UploadError(ValueError):
    """The file cannot be confirmed (any more); the message says why and is safe to show."""


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _directory() -> Path:
    path = Path(settings.OMBUDS_DIRECTORY_UPLOAD_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def stored_path(upload: DirectoryUpload) -> Path:
    return _directory() / f"{upload.digest}.csv"


def _write(path: Path, data: bytes) -> None:
    """Written under a temporary name, flushed to disk, then renamed: a crash leaves no half file."""
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.chmod(0o600)
    partial.replace(path)


def _remove(upload: DirectoryUpload) -> None:
    # Another waiting upload may be the same bytes (uploaded twice): keep the file for it.
    waiting = DirectoryUpload.objects.filter(digest=upload.digest, state=UploadState.CHECKED).exclude(pk=upload.pk)
    if not waiting.exists():
        stored_path(upload).unlink(missing_ok=True)


def summarise(result: ImportResult, file_hints: Sequence[hints.Hint] = ()) -> dict[str, Any]:
    """What the administration pages show of a dry run or an import, as JSON."""
    ids = {move.employee_id for move in result.manager_moves[:LISTED]}
    ids |= {move.old_manager_id for move in result.manager_moves[:LISTED]}
    ids |= {move.new_manager_id for move in result.manager_moves[:LISTED]}
    names = dict(Person.objects.filter(employee_id__in=ids - {""}).values_list("employee_id", "name"))
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "units_created": result.units_created,
        "moves_total": len(result.manager_moves),
        "moves": [
            {
                "employee_id": move.employee_id,
                "name": names.get(move.employee_id, ""),
                "old_manager_id": move.old_manager_id,
                "old_manager": names.get(move.old_manager_id, ""),
                "new_manager_id": move.new_manager_id,
                "new_manager": names.get(move.new_manager_id, ""),
            }
            for move in result.manager_moves[:LISTED]
        ],
        "errors_total": len(result.errors),
        "errors": result.errors[:LISTED],
        "hints": [hint.value for hint in file_hints],
    }


def check(*, data: bytes, name: str, acting_user: User) -> DirectoryUpload:
    """Store the file and run the dry run on it; the upload says what an import would do.

    A file with errors is refused at once and not kept. A good file waits for `confirm`;
    an earlier one still waiting is discarded.
    """
    digest = digest_of(data)
    now = timezone.now()
    path = _directory() / f"{digest}.csv"
    _write(path, data)
    result = import_directory(data, dry_run=True)
    file_hints = hints.detect(data) if result.errors else []
    state = UploadState.CHECKED if result.ok else UploadState.REFUSED
    with transaction.atomic(durable=True):
        superseded = list(DirectoryUpload.objects.select_for_update().filter(state=UploadState.CHECKED))
        for older in superseded:
            _discard(older, acting_user=acting_user, reason="superseded")
        upload = DirectoryUpload.objects.create(
            name=(Path(name).name or "directory.csv")[:MAX_NAME],
            digest=digest,
            size=len(data),
            source=UploadSource.WEB,
            state=state,
            uploaded_at=now,
            uploaded_by=acting_user,
            summary=summarise(result, file_hints),
        )
        log.record_system(
            EventType.DIRECTORY_CHECKED,
            actor_id=acting_user.pk,
            upload=upload.pk,
            digest=digest,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            manager_changes=len(result.manager_moves),
            errors=len(result.errors),
        )
    # Files go once the change is committed: a rolled-back discard keeps its file.
    for older in superseded:
        _remove(older)
    if state == UploadState.REFUSED:
        _remove(upload)
    return upload


def confirm(
    *, upload_id: int, digest: str, acting_user: User, progress: Progress | None = None
) -> tuple[DirectoryUpload, ImportResult]:
    """Import the waiting file whose dry run showed `digest`; nothing is imported from anything else.

    If the directory changed since the dry run so that the file no longer passes (a
    manager cycle through people added since, say), nothing is imported and the upload
    is refused with the new errors.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        upload = DirectoryUpload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.state != UploadState.CHECKED:
            raise UploadError(_("This file is not waiting to be imported: it was imported, discarded or replaced."))
        if upload.digest != digest:
            raise UploadError(_("This is not the file whose dry run you saw. Upload it again."))
        path = stored_path(upload)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise UploadError(_("The stored file is missing. Upload it again.")) from None
        if digest_of(data) != upload.digest:
            raise UploadError(_("The stored file has changed since its dry run. Upload it again."))
        # The importer's own transaction nests in this one: the people, the audit event
        # and this record are written together or not at all.
        # The bytes just checked against the digest are imported, not the file read again.
        result = import_directory(
            data, progress=progress, actor_id=acting_user.pk, detail={"upload": upload.pk, "digest": upload.digest}
        )
        if result.ok:
            upload.state = UploadState.IMPORTED
            upload.imported_at = now
            upload.imported_by = acting_user
            upload.result = summarise(result)
        else:
            upload.state = UploadState.REFUSED
            upload.summary = summarise(result, hints.detect(data))
        upload.save()
    _remove(upload)
    return upload, result


def discard(*, upload_id: int, acting_user: User) -> DirectoryUpload:
    """Throw away a waiting file without importing it."""
    with transaction.atomic(durable=True):
        upload = DirectoryUpload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.state != UploadState.CHECKED:
            raise UploadError(_("This file is not waiting to be imported: it was imported, discarded or replaced."))
        _discard(upload, acting_user=acting_user, reason="discarded")
    _remove(upload)
    return upload


def _discard(upload: DirectoryUpload, *, acting_user: User, reason: str) -> None:
    upload.state = UploadState.DISCARDED
    upload.save(update_fields=["state"])
    log.record_system(
        EventType.DIRECTORY_UPLOAD_DISCARDED,
        actor_id=acting_user.pk,
        upload=upload.pk,
        digest=upload.digest,
        reason=reason,
    )


def record_linked(upload: DirectoryUpload, *, linked: int, conflicts_changed: int) -> None:
    """Add to an import's record what followed it: staff accounts linked, cases whose conflicts changed."""
    result = dict(upload.result)
    result.update(linked=linked, conflicts_changed=conflicts_changed)
    DirectoryUpload.objects.filter(pk=upload.pk).update(result=result)
    upload.result = result


def import_file(path: Path, *, progress: Progress | None = None) -> tuple[DirectoryUpload | None, ImportResult]:
    """`ombuds directory import FILE`: import a file and record it with the others; None if refused."""
    data = path.read_bytes()
    with transaction.atomic(durable=True):
        result = import_directory(data, progress=progress, detail={"digest": digest_of(data)})
        if not result.ok:
            return None, result
        now = timezone.now()
        upload = DirectoryUpload.objects.create(
            name=path.name[:MAX_NAME],
            digest=digest_of(data),
            size=len(data),
            source=UploadSource.COMMAND,
            state=UploadState.IMPORTED,
            uploaded_at=now,
            imported_at=now,
            summary=summarise(result),
            result=summarise(result),
        )
    return upload, result
