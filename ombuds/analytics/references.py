"""Published industry references shown beside a figure: the figure, its source and year, or a plain "none".

Only figures checked against the publisher's own words are quoted here; where no
published benchmark is known for a figure, the dashboard says so rather than guess.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# key -> (figure, source, year). The NAVEX figures are medians across its customers.
_PUBLISHED: dict[str, tuple[str, str, int]] = {
    "per_100": ("1.57", "NAVEX Whistleblowing & Incident Management Benchmark Report", 2025),
    "substantiation": ("46%", "NAVEX Whistleblowing & Incident Management Benchmark Report", 2025),
    "close": ("42 days (median)", "NAVEX Ethics & Compliance Hotline & Incident Management Benchmark Report", 2017),
}


def text(key: str) -> str:
    published = _PUBLISHED.get(key)
    if published is None:
        return _("No published industry reference.")
    figure, source, year = published
    return _("Industry reference: %(figure)s (%(source)s, %(year)s).") % {
        "figure": figure,
        "source": source,
        "year": year,
    }
