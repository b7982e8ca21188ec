"""The gate of administration pages: logged in, the second factor where the roles need it, and a role.

Everyone else gets the same 404 as for a page that does not exist, so the pages'
existence says nothing to other staff.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase

from ombuds.accounts import mfa
from ombuds.accounts.roles import Role, roles_of

View = Callable[..., HttpResponseBase]


def for_roles(allowed: frozenset[Role]) -> Callable[[View], View]:
    """Only people holding one of `allowed` reach the view.

    Checked before the method, so a POST to the page learns nothing either.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not roles_of(request.user) & allowed:
                raise Http404("no such page")
            return view(request, *args, **kwargs)

        return mfa.second_factor_required(wrapper)

    return decorate
