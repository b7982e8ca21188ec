"""The directory: upload a file, read its dry run, confirm or discard it; past imports; staff not in it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ombuds.administration import directory, selectors
from ombuds.administration.access import administrator, administrator_required
from ombuds.administration.forms import ConfirmUploadForm, UploadForm
from ombuds.directory import hints, uploads
from ombuds.directory.models import DirectoryUpload, UploadState

HISTORY = 20


def _directory_page(request: HttpRequest, form: UploadForm | None = None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "administration/directory.html",
        {
            "form": form or UploadForm(),
            "waiting": DirectoryUpload.objects.filter(state=UploadState.CHECKED).first(),
            "history": DirectoryUpload.objects.select_related("uploaded_by", "imported_by")[:HISTORY],
            "unlinked": [(row, selectors.matching_person(row.user)) for row in selectors.unlinked_staff()],
            "largest": filesizeformat(settings.OMBUDS_UPLOAD_MEMORY_BYTES),
        },
        status=status,
    )


@administrator_required
@require_GET
def directory_page(request: HttpRequest) -> HttpResponse:
    return _directory_page(request)


@administrator_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _directory_page(request, form, status=400)
    file = form.cleaned_data["file"]
    # Larger uploads are encrypted into the file store as they arrive (settings.FILE_UPLOAD_HANDLERS)
    # and cannot be read here; a directory that large is imported on the server.
    if (file.size or 0) > settings.OMBUDS_UPLOAD_MEMORY_BYTES:
        form.add_error(
            "file",
            _("The file is larger than %(size)s. Import it on the server with `ombuds directory import`.")
            % {"size": filesizeformat(settings.OMBUDS_UPLOAD_MEMORY_BYTES)},
        )
        return _directory_page(request, form, status=400)
    checked = uploads.check(data=file.read(), name=file.name or "", acting_user=administrator(request))
    return redirect("administration:upload", upload_id=checked.pk)


def _upload(upload_id: int) -> DirectoryUpload:
    found = DirectoryUpload.objects.select_related("uploaded_by", "imported_by").filter(pk=upload_id).first()
    if found is None:
        raise Http404("no such upload")
    return found


def _upload_page(request: HttpRequest, found: DirectoryUpload, *, error: str = "", status: int = 200) -> HttpResponse:
    summary = found.summary
    return render(
        request,
        "administration/upload.html",
        {
            "upload": found,
            "summary": summary,
            "result": found.result,
            "hints": [hints.Hint(value).message for value in summary.get("hints", [])],
            "save_as": hints.save_as(),
            "confirm_form": ConfirmUploadForm(initial={"digest": found.digest}),
            "more_errors": summary.get("errors_total", 0) - len(summary.get("errors", [])),
            "more_moves": summary.get("moves_total", 0) - len(summary.get("moves", [])),
            "error": error,
        },
        status=status,
    )


@administrator_required
@require_GET
def upload_detail(request: HttpRequest, upload_id: int) -> HttpResponse:
    return _upload_page(request, _upload(upload_id))


@administrator_required
@require_POST
def confirm(request: HttpRequest, upload_id: int) -> HttpResponse:
    found = _upload(upload_id)
    form = ConfirmUploadForm(request.POST)
    if not form.is_valid():
        return _upload_page(
            request, found, error=_("This is not the file whose dry run you saw. Upload it again."), status=400
        )
    try:
        imported, result = directory.confirm(
            upload_id=found.pk, digest=form.cleaned_data["digest"], acting_user=administrator(request)
        )
    except uploads.UploadError as exc:
        return _upload_page(request, found, error=str(exc), status=400)
    if result.ok:
        messages.success(request, _("The directory was imported."))
    else:
        messages.error(
            request, _("The directory changed since the dry run, and the file no longer passes. Nothing was imported.")
        )
    return redirect("administration:upload", upload_id=imported.pk)


@administrator_required
@require_POST
def discard(request: HttpRequest, upload_id: int) -> HttpResponse:
    found = _upload(upload_id)
    try:
        uploads.discard(upload_id=found.pk, acting_user=administrator(request))
    except uploads.UploadError as exc:
        return _upload_page(request, found, error=str(exc), status=400)
    messages.success(request, _("The file was discarded; nothing was imported."))
    return redirect("administration:directory")
