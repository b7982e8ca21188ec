"""In-process timings of single operations: `python -m benchmarks.micro [NAME ...]` (all without a name).

`make bench` (`python -m benchmarks`) runs the measured targets against real servers;
these are the finer timings behind some of them, for profiling one part at a time.

Sets up a throw-away SQLite database in a temporary directory first, so it never
touches var/ or a database named by DATABASE_URL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks import Benchmark, Measurement


def registry() -> dict[str, Benchmark]:
    """Every benchmark by name. Add new ones here.

    Imported only after Django is set up, because benchmarks use the models.
    """
    from benchmarks import audit_verify, directory_import, inbox, kdf, linking, match_keys, merkle, stream

    return {
        "directory_import": directory_import.import_100k,
        "inbox": inbox.inbox_100k,
        "kdf": kdf.derivations,
        "stream": stream.throughput,
        "merkle": merkle.merkle_1m,
        "audit_verify": audit_verify.verify_1m,
        "match_keys": match_keys.per_report,
        "linking": linking.at_filing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.micro", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ombuds-bench-"))
    try:
        os.environ["OMBUDS_VAR_DIR"] = str(workdir / "var")
        os.environ["DJANGO_SETTINGS_MODULE"] = "ombuds.settings"
        os.environ.pop("DATABASE_URL", None)

        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)

        benchmarks = registry()
        unknown = [name for name in args.names if name not in benchmarks]
        if unknown:
            parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(benchmarks)}")
        rows: list[Measurement] = []
        for name in args.names or list(benchmarks):
            print(f"running {name} …", file=sys.stderr, flush=True)
            scratch = workdir / name
            scratch.mkdir()
            rows += benchmarks[name](scratch)
        print_table(rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def print_table(rows: list[Measurement]) -> None:
    header = ("benchmark", "seconds", "CPU seconds", "peak RSS MiB", "")
    cells = [
        (row.name, f"{row.seconds:.2f}", f"{row.cpu_seconds:.2f}", f"{row.peak_rss_mib:.0f}", row.note) for row in rows
    ]
    widths = [max(len(line[column]) for line in [header, *cells]) for column in range(len(header))]
    for number, line in enumerate([header, *cells]):
        print(
            "  ".join(
                value.ljust(width) if column in (0, 4) else value.rjust(width)
                for column, (value, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if number == 0:
            print("  ".join("-" * width for width in widths).rstrip())


if __name__ == "__main__":
    sys.exit(main())
