"""Staff accounts: the list, invitations, roles, deactivation and reactivation, second factors, tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.accounts import actions as account_actions
from ombuds.accounts import tokens
from ombuds.accounts.models import ApiToken
from ombuds.accounts.roles import Role
from ombuds.administration import nav, selectors
from ombuds.administration import staff as staff_changes
from ombuds.administration.access import administrator, administrator_required
from ombuds.administration.forms import InviteForm, ResetSecondFactorForm, RolesForm
from ombuds.directory.models import DirectoryUpload, UploadState


@administrator_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "administration/home.html",
        {
            "sections": nav.sections(),
            "unlinked": len(selectors.unlinked_staff()),
            "waiting": DirectoryUpload.objects.filter(state=UploadState.CHECKED).first(),
        },
    )


@administrator_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "administration/staff_list.html", {"rows": selectors.staff_rows()})


@administrator_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = staff_changes.invite(
                email=data["email"],
                name=data["name"],
                roles=[Role(value) for value in data["roles"]],
                acting_user=administrator(request),
            )
        except account_actions.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            _tell_invitation(request, invitation)
            return redirect("administration:account", user_id=invitation.user.pk)
    return render(request, "administration/invite.html", {"form": form}, status=400 if form.errors else 200)


def _tell_invitation(request: HttpRequest, invitation: account_actions.Invitation) -> None:
    if invitation.sent:
        messages.success(
            request,
            _("Invitation sent to %(email)s. Its link works once, until %(expires)s.")
            % {"email": invitation.user.email, "expires": f"{invitation.link.expires_at:%Y-%m-%d %H:%M} UTC"},
        )
    else:
        messages.error(
            request,
            _(
                "The invitation to %(email)s could not be sent: the mail server did not take it. The account "
                "exists; send the invitation again once e-mail works."
            )
            % {"email": invitation.user.email},
        )


def _account(user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("no such account")
    return user


def _account_page(
    request: HttpRequest,
    user: User,
    *,
    roles_form: RolesForm | None = None,
    reset_form: ResetSecondFactorForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    row = selectors.staff_rows(User.objects.filter(pk=user.pk))[0]
    return render(
        request,
        "administration/account.html",
        {
            "row": row,
            "account": user,
            "yourself": user.pk == request.user.pk,
            "matching_person": None if row.person else selectors.matching_person(user),
            "roles_form": roles_form or RolesForm(initial={"roles": [role.value for role in row.roles]}),
            "reset_form": reset_form or ResetSecondFactorForm(),
            "tokens": [
                (token, tokens.token_state(token))
                for token in ApiToken.objects.filter(user=user).select_related("user")
            ],
            "error": error,
        },
        status=status,
    )


@administrator_required
@require_GET
def account(request: HttpRequest, user_id: int) -> HttpResponse:
    return _account_page(request, _account(user_id))


@administrator_required
@require_POST
def change_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account(user_id)
    form = RolesForm(request.POST)
    if form.is_valid():
        row = selectors.staff_rows(User.objects.filter(pk=user.pk))[0]
        add, remove = form.changes(set(row.roles))
        try:
            if not add and not remove:
                raise account_actions.AccountError(
                    _("Nothing to change: the account already has these roles and not the others.")
                )
            held = staff_changes.change_roles(user=user, add=add, remove=remove, acting_user=administrator(request))
        except account_actions.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            names = ", ".join(role.label for role in sorted(held)) or _("none")
            messages.success(
                request, _("Roles saved. %(email)s now has: %(roles)s.") % {"email": user.email, "roles": names}
            )
            return redirect("administration:account", user_id=user.pk)
    return _account_page(request, user, roles_form=form, status=400)


def _refused(request: HttpRequest, user: User, exc: Exception) -> HttpResponse:
    return _account_page(request, user, error=str(exc), status=400)


@administrator_required
@require_POST
def deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account(user_id)
    try:
        revoked, released = staff_changes.deactivate(user=user, acting_user=administrator(request))
    except account_actions.AccountError as exc:
        return _refused(request, user, exc)
    messages.success(
        request,
        " ".join(
            [
                _("%(email)s is deactivated: the account cannot log in.") % {"email": user.email},
                ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
                ngettext("%(n)d case unassigned.", "%(n)d cases unassigned.", released) % {"n": released},
            ]
        ),
    )
    return redirect("administration:account", user_id=user.pk)


@administrator_required
@require_POST
def reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account(user_id)
    try:
        staff_changes.reactivate(user=user, acting_user=administrator(request))
    except account_actions.AccountError as exc:
        return _refused(request, user, exc)
    messages.success(
        request,
        _("%(email)s can log in again, with the roles it had. Its old tokens stay revoked.") % {"email": user.email},
    )
    return redirect("administration:account", user_id=user.pk)


@administrator_required
@require_POST
def reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account(user_id)
    form = ResetSecondFactorForm(request.POST)
    if not form.is_valid():
        return _account_page(request, user, reset_form=form, status=400)
    try:
        link = account_actions.reset_second_factor(user=user, acting_user=administrator(request))
    except account_actions.AccountError as exc:
        form.add_error(None, str(exc))
        return _account_page(request, user, reset_form=form, status=400)
    # Shown once, on this answer only (every page is no-store); only its digest is kept.
    return render(request, "administration/reset_done.html", {"account": user, "link": link})


@administrator_required
@require_POST
def revoke_tokens(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account(user_id)
    token_id: int | None = None
    if request.POST.get("token", "all") != "all":
        try:
            token_id = int(request.POST["token"])
        except ValueError:
            raise Http404("no such token") from None
    try:
        revoked = account_actions.revoke_tokens(
            user=user, token_id=token_id, acting_user=administrator(request), via="web"
        )
    except account_actions.AccountError as exc:
        return _refused(request, user, exc)
    messages.success(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked})
    return redirect("administration:account", user_id=user.pk)


@administrator_required
@require_POST
def resend_invitation(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account(user_id)
    try:
        invitation = account_actions.resend_invitation(user=user, acting_user=administrator(request))
    except account_actions.AccountError as exc:
        return _refused(request, user, exc)
    _tell_invitation(request, invitation)
    return redirect("administration:account", user_id=user.pk)


@administrator_required
@require_POST
def link_by_email(request: HttpRequest) -> HttpResponse:
    linked = staff_changes.link_by_email()
    if linked:
        messages.success(
            request,
            ngettext(
                "%(n)d account linked to its directory person.",
                "%(n)d accounts linked to their directory person.",
                linked,
            )
            % {"n": linked},
        )
    else:
        messages.error(request, _("No account could be linked: no unlinked directory person has the e-mail of one."))
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    # Back to the page the button was on; only the two pages that show it.
    target = request.POST.get("next", "")
    return "administration:directory" if target == "directory" else "administration:staff"
