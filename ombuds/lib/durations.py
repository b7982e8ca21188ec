"""ISO 8601 durations with calendar months, as organisations configure deadlines.

`timedelta` cannot express "three months", and the Whistleblower Directive's feedback
period is three calendar months, so durations keep months apart from the exact part.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_PATTERN = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class InvalidDuration(ValueError):
    pass


# No deadline or ladder step is ever this far away; larger values are typing mistakes.
MAX_MONTHS = 120
MAX_EXACT = timedelta(days=3653)


@dataclass(frozen=True)
class Duration:
    months: int
    exact: timedelta

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _PATTERN.match(text.strip().upper())
        if match is None:
            raise InvalidDuration(f"{text!r} is not an ISO 8601 duration such as P7D, P3M or PT24H")
        parts = {key: int(value) if value else 0 for key, value in match.groupdict().items()}
        if any(value > 10**6 for value in parts.values()):
            raise InvalidDuration(f"{text!r} is longer than ten years")
        duration = cls(
            months=parts["years"] * 12 + parts["months"],
            exact=timedelta(
                weeks=parts["weeks"],
                days=parts["days"],
                hours=parts["hours"],
                minutes=parts["minutes"],
                seconds=parts["seconds"],
            ),
        )
        if duration.months == 0 and duration.exact == timedelta(0):
            raise InvalidDuration(f"{text!r} is an empty duration")
        if duration.months > MAX_MONTHS or duration.exact > MAX_EXACT:
            raise InvalidDuration(f"{text!r} is longer than ten years")
        return duration

    def after(self, moment: datetime) -> datetime:
        """The moment this duration after `moment`: months first (clamped to month end), then the rest."""
        if self.months:
            month_index = moment.month - 1 + self.months
            year = moment.year + month_index // 12
            month = month_index % 12 + 1
            day = min(moment.day, calendar.monthrange(year, month)[1])
            moment = moment.replace(year=year, month=month, day=day)
        return moment + self.exact


def longer_than(duration: Duration, limit: Duration) -> bool:
    """Whether `duration` ends after `limit` from some day (every day of a leap year and the next is tried)."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return any(duration.after(day) > limit.after(day) for day in (start + timedelta(days=n) for n in range(731)))


def describe_text(value: str) -> str:
    """A stored duration in words, or as stored when it cannot be read (a notice must not fail on an old value)."""
    try:
        return describe(Duration.parse(value))
    except InvalidDuration:
        return value


def describe(duration: Duration) -> str:
    """The duration in words for people, in the active language: "7 days", "3 months", "24 hours"."""
    from django.utils.translation import ngettext

    parts: list[str] = []
    if duration.months:
        parts.append(ngettext("%(n)d month", "%(n)d months", duration.months) % {"n": duration.months})
    total = int(duration.exact.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    if seconds:
        parts.append(ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds})
    return ", ".join(parts)
