"""The links of a page of a list that is not counted to its end (the inbox, the audit trail)."""

from __future__ import annotations


class PageLinks:
    """What a template needs to link to the newer and the older page; the class gives `number`."""

    number: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1
