"""Development keys kept under var/ so a fresh checkout runs without configuration.

Production (OMBUDS_PRODUCTION=true) never reaches this: settings refuse to start
without the secrets being given explicitly.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def dev_key(directory: Path, name: str) -> str:
    """Return the key stored in directory/name, creating it (mode 0600) if absent."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if not path.exists():
        value = secrets.token_urlsafe(48)
        # O_EXCL: if two processes start at once, one creates and the other reads.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(value)
            return value
    return path.read_text(encoding="utf-8").strip()
