"""Random row identifiers for everything a reporter's actions create.

Sequential ids would order her report, messages and files among rows whose times are
exact (another case's staff message at 10:03, the next at 10:47), and so time an
anonymous reporter more finely than the day she is told is all that is kept. Random
ids order nothing. They stay below 2**53 so every JSON client reads them exactly.
"""

from __future__ import annotations

import secrets

_LIMIT = 2**53


def random_id() -> int:
    return secrets.randbelow(_LIMIT - 1) + 1
