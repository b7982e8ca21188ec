"""`ombuds audit verify | export DIR | verify-receipt FILE`: check the audit log, hand it out, check a proof of filing.

verify exits with 0 only when every event and every signed tree head holds; otherwise
it names the first index that can no longer be vouched for (docs/audit-log.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from nacl.signing import VerifyKey

from ombuds.audit import receipt_proof, signing_key, sth
from ombuds.audit.export import export
from ombuds.audit.verify import verify
from ombuds.directory.management.commands.directory import ProgressBar


class Command(BaseCommand):
    help = "Verify the audit log, export it for outside verifiers, or check a reporter's proof of filing."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("verify", help="recompute the whole tree and check every signed tree head")
        check.add_argument(
            "--public-key",
            help="the public key (base64) to check signatures with; by default the signing key's own",
        )
        out = sub.add_parser("export", help="write entries.jsonl, sths.jsonl and public_key into DIR")
        out.add_argument("directory", type=Path)
        receipt = sub.add_parser("verify-receipt", help="check a reporter's proof of filing, offline")
        receipt.add_argument("file", type=Path)
        receipt.add_argument("--public-key", help="the organisation's public key (base64), from a trusted source")
        receipt.add_argument("--text", type=Path, help="a file holding the report's text (What happened)")
        receipt.add_argument("--random", help="the random value kept with the report (64 hexadecimal digits)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(options["public_key"])
        elif options["action"] == "export":
            self._export(options["directory"])
        else:
            self._verify_receipt(options["file"], options["public_key"], options["text"], options["random"])

    def _verify(self, public_key_text: str | None) -> None:
        key = self._public_key(public_key_text)
        bar = ProgressBar(self.stderr, label="verifying")
        try:
            verdict = verify(key, progress=bar)
        finally:
            bar.close()
        if verdict.ok:
            self.stdout.write(f"OK: {verdict.events} events and {verdict.tree_heads} signed tree heads hold.")
            return
        for problem in verdict.problems:
            self.stderr.write(problem.message)
        raise CommandError(
            f"the audit log does not hold from event {verdict.first_bad_index} on "
            f"({len(verdict.problems)} problem{'s' if len(verdict.problems) != 1 else ''})"
        )

    def _public_key(self, text: str | None) -> VerifyKey:
        if text is not None:
            try:
                return sth.parse_public_key(text)
            except ValueError as exc:
                raise CommandError(f"--public-key: {exc}") from None
        path = signing_key.key_path()
        if not path.exists():
            raise CommandError(f"{path} does not exist; give the public key with --public-key")
        try:
            return signing_key.read_key_file(path).verify_key
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None

    def _export(self, directory: Path) -> None:
        bar = ProgressBar(self.stderr, label="exporting")
        try:
            done = export(directory, progress=bar)
        except OSError as exc:
            raise CommandError(f"cannot write into {directory}: {exc.strerror or exc}") from None
        finally:
            bar.close()
        self.stdout.write(f"Exported {done.events} events and {done.tree_heads} signed tree heads into {directory}.")

    def _verify_receipt(self, file: Path, public_key: str | None, text: Path | None, random: str | None) -> None:
        if (text is None) != (random is None):
            raise CommandError("give both --text and --random, or neither")
        try:
            proof = receipt_proof.parse(file.read_text(encoding="utf-8"))
            narrative = text.read_text(encoding="utf-8") if text is not None else None
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from None
        except (UnicodeDecodeError, receipt_proof.InvalidProof) as exc:
            raise CommandError(f"{file} is not a proof of filing: {exc}") from None
        try:
            random_value = receipt_proof.random_value_from_text(random) if random is not None else None
            trusted = receipt_proof.public_key_from_text(public_key) if public_key is not None else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        checks = receipt_proof.check(proof, trusted_key=trusted, narrative=narrative, random_value=random_value)
        for item in checks:
            self.stdout.write(f"{'ok  ' if item.ok else 'FAIL'} {item.what}")
        if trusted is None:
            self.stdout.write("note the public key was taken from the proof; give --public-key to check it too")
        if not all(item.ok for item in checks):
            raise CommandError("the proof of filing does not hold")
        self.stdout.write("OK: the proof of filing holds.")
