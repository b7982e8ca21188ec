"""How urgent a deadline is, in words a handler reads at a glance.

The inbox shows each case's next deadline as a badge: the words ("overdue by 2 days",
"due today", "3 days left") carry the meaning, a shape beside them repeats it, and the
colour only adds to both, so nobody depends on telling red from amber.
Days are counted in calendar days of the organisation's time zone, as a handler
thinks of them: a deadline at 17:00 today is "due today" all morning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext, ngettext

# A case due within this many days is "soon": it is not urgent yet, but close.
SOON_DAYS = 3


class Level(enum.StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    SOON = "soon"
    LATER = "later"
    NONE = "none"


@dataclass(frozen=True)
class Urgency:
    level: Level
    # What the badge says; the whole meaning is in these words.
    text: str

    @property
    def urgent(self) -> bool:
        """Overdue or due today: what needs doing first."""
        return self.level in (Level.OVERDUE, Level.TODAY)


def of(due: datetime | date | None, now: datetime) -> Urgency:
    """The urgency of a deadline (a moment, or a whole day) at `now`."""
    if due is None:
        return Urgency(Level.NONE, gettext("no deadline"))
    today = timezone.localdate(now)
    if isinstance(due, datetime):
        day = timezone.localdate(due)
        passed = due < now
    else:
        day = due
        passed = day < today
    if passed:
        days = (today - day).days
        if days < 1:
            return Urgency(Level.OVERDUE, gettext("overdue since today"))
        return Urgency(
            Level.OVERDUE,
            ngettext("overdue by %(n)d day", "overdue by %(n)d days", days) % {"n": days},
        )
    days = (day - today).days
    if days < 1:
        return Urgency(Level.TODAY, gettext("due today"))
    text = ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
    return Urgency(Level.SOON if days <= SOON_DAYS else Level.LATER, text)
