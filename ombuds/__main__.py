"""The `ombuds` command: Django's management commands under the project's name."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["registry"]:
        # The shared rehire registry is another service with its own settings and database.
        os.environ["DJANGO_SETTINGS_MODULE"] = "ombuds.registry_service.settings"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombuds.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ombuds", *sys.argv[1:]])


if __name__ == "__main__":
    main()
