"""The reporter's proof of filing: a text file to download, and a page to print with its QR code.

Both need her session. The random value that ties the proof to her text is shown on
the printable page apart from the proof and is never part of the file: she decides
whom to give it to.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from ombuds.audit import receipt_proof
from ombuds.cases import filing_proof
from ombuds.cases.models import Report
from ombuds.intake.views import reporter_required


@require_GET
@reporter_required
def download(request: HttpRequest, report: Report) -> HttpResponse:
    found = filing_proof.for_report(report)
    if isinstance(found, filing_proof.NotReady):
        return render(request, "intake/proof.html", {"found": found}, status=404)
    response = HttpResponse(receipt_proof.to_text(found.proof), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="proof-of-filing.txt"'
    return response


@require_GET
@reporter_required
def printable(request: HttpRequest, report: Report) -> HttpResponse:
    found = filing_proof.for_report(report)
    if isinstance(found, filing_proof.NotReady):
        return render(request, "intake/proof.html", {"found": found}, status=404)
    code = receipt_proof.qr_code(found.proof)
    random_value = found.random_value.hex() if found.random_value else ""
    return render(
        request,
        "intake/proof.html",
        {
            "found": found,
            "proof_json": receipt_proof.to_json(found.proof),
            # segno writes the SVG itself from the proof's bytes: nothing in it comes from a person.
            "qr_svg": mark_safe(code.svg_inline(scale=2, border=4)) if code is not None else "",  # noqa: S308
            "random_groups": " ".join(random_value[i : i + 8] for i in range(0, len(random_value), 8)),
        },
    )
