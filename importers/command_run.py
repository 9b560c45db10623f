"""What both import commands do around an import: the target community, the progress bar on
a terminal, errors as one readable sentence, the report file and the closing summary."""

import sys
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import DatabaseError
from tqdm import tqdm

from communities.models import Community


def community_or_error(slug: str) -> Community:
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise CommandError(f"There is no community with the slug “{slug}”.")
    return community


def run_with_progress(run: Callable, *, unit: str, input_errors: tuple, verbosity: int):
    """Call ``run(progress=..., on_total=...)`` with a tqdm bar (on a terminal only); an input
    error or a refused write becomes a CommandError with one sentence."""
    bar = tqdm(unit=unit, disable=not sys.stderr.isatty() or verbosity == 0, file=sys.stderr)

    def on_total(total):
        bar.total = total
        bar.refresh()

    try:
        return run(progress=bar.update, on_total=on_total)
    except input_errors as exc:
        raise CommandError(str(exc)) from exc
    except DatabaseError as exc:
        raise CommandError(
            f"The database refused a write ({exc.__class__.__name__}: {exc}); what was "
            "imported before it stays, and running the import again resumes."
        ) from exc
    finally:
        bar.close()


def write_outcome(command, outcome, *, report: str | None, dry_run: bool, what: str) -> None:
    """Write the report file when asked, then the summary: *what* was imported, the counts of
    the report, and how many report lines there are."""
    if report:
        try:
            with open(report, "w", encoding="utf-8") as f:
                f.write(outcome.report.text())
        except OSError as exc:
            raise CommandError(f"Could not write the report to {report}: {exc}.") from exc
    counts = outcome.report.counts
    title = "Dry run: nothing was written." if dry_run else "Import finished."
    command.stdout.write(command.style.SUCCESS(f"{title} {what}"))
    for key in sorted(counts):
        command.stdout.write(f"  {key}: {counts[key]:,}")
    lines = len(outcome.report.lines)
    where = f" (written to {report})" if report else " (use --report FILE to keep them)"
    command.stdout.write(f"{lines:,} report lines{where}.")
