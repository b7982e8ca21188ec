from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombuds.lib.durations import Duration, InvalidDuration, describe_text


@pytest.mark.parametrize(
    ("text", "months", "exact"),
    [
        ("P7D", 0, timedelta(days=7)),
        ("P3M", 3, timedelta(0)),
        ("PT24H", 0, timedelta(hours=24)),
        ("PT30S", 0, timedelta(seconds=30)),
        ("P1Y2M3DT4H5M6S", 14, timedelta(days=3, hours=4, minutes=5, seconds=6)),
        ("P2W", 0, timedelta(weeks=2)),
    ],
)
def test_it_parses_iso_8601_durations(text: str, months: int, exact: timedelta) -> None:
    assert Duration.parse(text) == Duration(months=months, exact=exact)


@pytest.mark.parametrize("text", ["", "P", "PT", "7D", "P-1D", "P1.5D", "PT1D", "P0D", "three months"])
def test_it_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(InvalidDuration):
        Duration.parse(text)


def test_it_clamps_months_to_the_end_of_the_month() -> None:
    start = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    assert Duration.parse("P1M").after(start) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert Duration.parse("P3M").after(start) == datetime(2027, 4, 30, 12, 0, tzinfo=UTC)


def test_it_crosses_years() -> None:
    start = datetime(2026, 11, 29, tzinfo=UTC)
    assert Duration.parse("P3M").after(start) == datetime(2027, 2, 28, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones= makes values aware
        max_value=datetime(2090, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.integers(min_value=0, max_value=36),
    st.integers(min_value=0, max_value=400),
)
def test_it_always_moves_forward(start: datetime, months: int, days: int) -> None:
    if months == 0 and days == 0:
        days = 1
    text = "P" + (f"{months}M" if months else "") + (f"{days}D" if days else "")
    assert Duration.parse(text).after(start) > start


def test_a_stored_duration_is_told_in_words_or_as_stored_when_it_cannot_be_read() -> None:
    assert describe_text("P3M") == "3 months"
    assert describe_text("P7D") == "7 days"
    assert describe_text("seven days") == "seven days"
