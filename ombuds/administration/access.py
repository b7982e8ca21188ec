"""Who reaches the administration pages: administrators, with the second factor passed in this session.

Everyone else gets 404, the same answer as for a page that does not exist, so the
pages' existence tells nobody anything (a visitor who is not logged in is sent to the
login first, as on every staff page). Every view of the administration pages, those
other apps add included (ombuds.administration.nav), is wrapped in
`administrator_required`, outermost: before even the method check, so that nobody else
learns which routes exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponseBase

from ombuds.accounts import mfa
from ombuds.accounts.roles import ADMINISTERS, roles_of


def administrator_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not roles_of(request.user) & ADMINISTERS:
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return mfa.second_factor_required(wrapper)


def administrator(request: HttpRequest) -> User:
    """The administrator making the request (the views are behind `administrator_required`)."""
    user = request.user
    assert isinstance(user, User)
    return user
