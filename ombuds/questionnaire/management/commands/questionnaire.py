"""`ombuds questionnaire show|export|import|publish`: the extra questions per category, as versioned JSON.

The same actions as the admin pages, recorded in the audit trail as made on the server.
`import` puts the questions of a document into each category's draft; nothing reaches
reporters until `publish` (or `import --publish`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.cases.models import Category
from ombuds.questionnaire import actions, selectors
from ombuds.questionnaire.validation import (
    FORMAT,
    DocumentError,
    QuestionSpec,
    category_document,
    parse_document,
)


class Command(BaseCommand):
    help = "Show, export, import and publish the questionnaire (the extra questions per category)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="each category's published version and whether a draft waits")
        export = sub.add_parser("export", help="write the questions as JSON (to standard output, or --output)")
        export.add_argument("--category", action="append", choices=Category.values, help="only this category")
        export.add_argument("--draft", action="store_true", help="the drafts instead of the published versions")
        export.add_argument("--output", help="a file to write instead of standard output")
        load = sub.add_parser("import", help="put the questions of a JSON document into each category's draft")
        load.add_argument("file", help='a document as `export` writes it ("-" for standard input)')
        load.add_argument("--publish", action="store_true", help="publish each imported draft at once")
        load.add_argument("--note", default="", help="what changed, kept with each version published")
        publish = sub.add_parser("publish", help="publish a category's draft as its next version")
        publish.add_argument("category", choices=Category.values)
        publish.add_argument("--note", default="", help="what changed, kept with the version")

    def handle(self, *args: Any, **options: Any) -> None:
        match options["action"]:
            case "show":
                self._show()
            case "export":
                self._export(options["category"] or Category.values, draft=options["draft"], output=options["output"])
            case "import":
                self._import(options["file"], publish=options["publish"], note=options["note"])
            case "publish":
                self._publish(options["category"], options["note"])

    def _show(self) -> None:
        for category in Category.values:
            current = selectors.current(category)
            draft = selectors.draft(category)
            published = (
                f"version {current.number} ({len(selectors.questions(current))} questions)" if current else "nothing"
            )
            waiting = f", draft of {len(selectors.questions(draft))} questions waiting" if draft else ""
            self.stdout.write(f"{category:<18} {published}{waiting}")

    def _export(self, categories: list[str], *, draft: bool, output: str | None) -> None:
        entries = []
        for category in categories:
            version = selectors.draft(category) if draft else selectors.current(category)
            if version is None:
                continue
            about: dict[str, Any] = {} if draft else {"version": version.number}
            if version.published_at is not None:
                about["published_at"] = version.published_at.isoformat()
            specs = [QuestionSpec.of(q) for q in selectors.questions(version)]
            entries.append(category_document(category, specs, **about))
        text = json.dumps({"format": FORMAT, "categories": entries}, ensure_ascii=False, indent=2) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")

    def _import(self, file: str, *, publish: bool, note: str) -> None:
        try:
            raw = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            document = parse_document(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not JSON: {exc}") from None
        except DocumentError as exc:
            raise CommandError("\n".join(["the document was not imported:", *exc.problems])) from None
        for category, specs in document.items():
            try:
                actions.replace_draft(category=category, specs=specs, acting_user=None)
            except actions.QuestionnaireError as exc:
                raise CommandError(f"{category}: " + " ".join(exc.problems)) from None
            self.stdout.write(f"{category}: draft of {len(specs)} questions")
            if publish:
                self._publish(category, note)

    def _publish(self, category: str, note: str) -> None:
        try:
            version = actions.publish(category=category, acting_user=None, note=note)
        except actions.QuestionnaireError as exc:
            raise CommandError(f"{category}: " + " ".join(exc.problems)) from None
        self.stdout.write(f"{category}: version {version.number} published")
