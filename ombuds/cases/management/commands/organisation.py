"""`ombuds organisation show|set`: the organisation's settings, as on the administration pages.

`set` calls the same action as the page (ombuds.cases.actions.configure_organisation):
a value it refuses, or a change that changes nothing, says why and exits non-zero.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.cases import actions
from ombuds.cases.selectors import current_organisation


class Command(BaseCommand):
    help = "Show or change the organisation's settings (deadlines are ISO 8601 durations such as P7D, P3M, PT24H)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="print the current settings")
        change = sub.add_parser("set", help="change one or more settings")
        change.add_argument("--name")
        change.add_argument("--oversight-name", help='how reporters see the oversight body, e.g. "the Audit Committee"')
        change.add_argument(
            "--oversight-contact", help="how a reporter reaches the oversight body directly (shown on the start page)"
        )
        change.add_argument(
            "--fallback-contact",
            help="whom a reporter is told to turn to when nobody on the oversight body can take her case",
        )
        change.add_argument("--ack-deadline", help="time to acknowledge a report, e.g. P7D")
        change.add_argument("--feedback-deadline", help="time to give feedback after acknowledgement, e.g. P3M")
        change.add_argument("--first-action-deadline", help="time to a first action on sexual assault, e.g. PT24H")
        change.add_argument(
            "--time-zone", help="an IANA time zone such as Europe/Berlin; an empty value means OMBUDS_TIME_ZONE"
        )
        change.add_argument(
            "--languages", help="the language codes offered to reporters, separated by commas, e.g. en,zh-hans"
        )
        change.add_argument(
            "--directory-search",
            choices=["on", "off"],
            help="whether reporters may search the directory on the report form",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "set":
            try:
                actions.configure_organisation(
                    name=options["name"],
                    oversight_name=options["oversight_name"],
                    oversight_contact=options["oversight_contact"],
                    fallback_contact=options["fallback_contact"],
                    ack_deadline=options["ack_deadline"],
                    feedback_deadline=options["feedback_deadline"],
                    assault_first_action_deadline=options["first_action_deadline"],
                    time_zone=options["time_zone"],
                    languages=options["languages"].split(",") if options["languages"] is not None else None,
                    reporters_may_search_directory=(
                        options["directory_search"] == "on" if options["directory_search"] is not None else None
                    ),
                )
            except actions.ActionError as exc:
                raise CommandError(str(exc)) from None
        org = current_organisation()
        self.stdout.write(f"name:                   {org.name}")
        self.stdout.write(f"oversight body:         {org.oversight_name}")
        self.stdout.write(f"oversight contact:      {org.oversight_contact or '(none)'}")
        self.stdout.write(f"fallback contact:       {org.fallback_contact or '(none)'}")
        self.stdout.write(f"acknowledge within:     {org.ack_deadline}")
        self.stdout.write(f"feedback within:        {org.feedback_deadline}")
        self.stdout.write(f"first action (assault): {org.assault_first_action_deadline}")
        self.stdout.write(f"time zone:              {org.zone_name()}")
        self.stdout.write(f"languages offered:      {','.join(code for code, _name in org.offered_languages())}")
        self.stdout.write(f"directory search:       {'on' if org.reporters_may_search_directory else 'off'}")
        self.stdout.write("New deadlines apply to cases received from now on.")
