"""`ombuds organisation show|set`: the organisation's settings, as on the administration pages.

`set` calls the same action as the page (ombuds.cases.actions.configure_organisation):
a value it refuses, or a change that changes nothing, says why and exits non-zero.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.cases import actions
from ombuds.cases.selectors import current_organisation
from ombuds.investigations import actions as investigation
from ombuds.investigations.models import InvestigationPolicy, StandardOfProof
from ombuds.outcomes import actions as outcome_actions
from ombuds.outcomes import telling
from ombuds.outcomes.telling import WORDING_KEYS


class Command(BaseCommand):
    help = "Show or change the organisation's settings (deadlines are ISO 8601 durations such as P7D, P3M, PT24H)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="print the current settings")
        change = sub.add_parser("set", help="change one or more settings")
        change.add_argument("--name")
        change.add_argument("--oversight-name", help='how reporters see the oversight body, e.g. "the Audit Committee"')
        # The names in another offered language, e.g. --name-in zh-hans "示例公司"; "" goes back to --name.
        change.add_argument(
            "--name-in", nargs=2, action="append", metavar=("LANGUAGE", "TEXT"), help="the name in a language"
        )
        change.add_argument(
            "--oversight-name-in",
            nargs=2,
            action="append",
            metavar=("LANGUAGE", "TEXT"),
            help='the oversight body\'s name in a language, e.g. zh-hans "审计委员会"',
        )
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
        # What reporters are told of outcomes, and the rehire registry's phone region (ombuds.outcomes).
        change.add_argument(
            "--tell-reporter-sanctions",
            choices=["on", "off"],
            help="whether the reporter is told the sanctions decided about another person (default off)",
        )
        change.add_argument(
            "--reporter-wording",
            nargs=3,
            action="append",
            metavar=("KEY", "LANGUAGE", "TEXT"),
            help=f"the organisation's own sentence for the reporter; KEY is one of {', '.join(WORDING_KEYS)}; "
            'an empty TEXT ("") goes back to the default',
        )
        change.add_argument(
            "--phone-region", help='region of phone numbers given without a country code, e.g. CN; "" for none'
        )
        change.add_argument(
            "--standard-of-proof",
            choices=StandardOfProof.values,
            help="what an investigation's findings are measured against (balance_of_probabilities by default)",
        )
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
            organisation_options = (
                "name",
                "oversight_name",
                "oversight_contact",
                "fallback_contact",
                "ack_deadline",
                "feedback_deadline",
                "first_action_deadline",
                "time_zone",
                "languages",
                "directory_search",
                "name_in",
                "oversight_name_in",
            )
            other_options = ("tell_reporter_sanctions", "phone_region", "reporter_wording", "standard_of_proof")
            try:
                # The organisation's own settings are changed when any is given, or when nothing
                # at all is: then the action says there is nothing to change.
                if any(options[o] is not None for o in organisation_options) or all(
                    options[o] is None for o in other_options
                ):
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
                        names_per_language=_names(options["name_in"], options["oversight_name_in"]),
                    )
                if any(options[o] is not None for o in ("tell_reporter_sanctions", "phone_region", "reporter_wording")):
                    outcome_actions.configure_policy(
                        tell_sanctions=None
                        if options["tell_reporter_sanctions"] is None
                        else options["tell_reporter_sanctions"] == "on",
                        phone_region=options["phone_region"],
                        wording={(key, language): text for key, language, text in options["reporter_wording"] or []},
                        languages=[code for code, _name in settings.LANGUAGES],
                    )
                if options["standard_of_proof"] is not None:
                    investigation.configure_investigations(standard_of_proof=options["standard_of_proof"])
            except actions.ActionError as exc:
                raise CommandError(str(exc)) from None
        org = current_organisation()
        self.stdout.write(f"name:                   {org.name}")
        self.stdout.write(f"oversight body:         {org.oversight_name}")
        for code, names in sorted(org.names_per_language.items()):
            for kind, text in sorted(names.items()):
                self.stdout.write(f"{kind} ({code}):".ljust(24) + text)
        self.stdout.write(f"oversight contact:      {org.oversight_contact or '(none)'}")
        self.stdout.write(f"fallback contact:       {org.fallback_contact or '(none)'}")
        self.stdout.write(f"acknowledge within:     {org.ack_deadline}")
        self.stdout.write(f"feedback within:        {org.feedback_deadline}")
        self.stdout.write(f"first action (assault): {org.assault_first_action_deadline}")
        self.stdout.write(f"standard of proof:      {InvestigationPolicy.objects.get(pk=1).standard_of_proof}")
        self.stdout.write(f"time zone:              {org.zone_name()}")
        self.stdout.write(f"languages offered:      {','.join(code for code, _name in org.offered_languages())}")
        self.stdout.write(f"directory search:       {'on' if org.reporters_may_search_directory else 'off'}")
        self.stdout.write("New deadlines apply to cases received from now on.")
        policy = telling.policy()
        self.stdout.write(f"tell reporter sanctions: {'on' if policy.tell_sanctions else 'off'}")
        self.stdout.write(f"phone region:           {policy.phone_region or '(none: numbers need their country code)'}")
        for key in WORDING_KEYS:
            for language, text in sorted(policy.wording.get(key, {}).items()):
                self.stdout.write(f"reporter wording {key} [{language}]: {text}")


def _names(
    name_in: list[list[str]] | None, oversight_name_in: list[list[str]] | None
) -> dict[str, dict[str, str]] | None:
    """The names per language after these options: the current ones, with those given replaced."""
    if name_in is None and oversight_name_in is None:
        return None
    names = {code: dict(kinds) for code, kinds in current_organisation().names_per_language.items()}
    for kind, given in (("name", name_in or []), ("oversight_name", oversight_name_in or [])):
        for code, text in given:
            names.setdefault(code, {})[kind] = text
    return names
