import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from communities.models import Community
from importers.services import stackexchange_import
from importers.stackexchange_dump import DumpError


class Command(BaseCommand):
    help = (
        "Import a Stack Exchange data dump (a folder with Posts.xml, and Users, Comments, Votes, "
        "Tags, PostHistory, PostLinks when present) into a community. Running it again adds "
        "nothing; an interrupted run resumes."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The dump's folder (where Posts.xml is).")
        parser.add_argument("--community", required=True, help="The community's slug.")
        parser.add_argument(
            "--site",
            default="",
            help="The site's host name, for links and attribution (default: the folder's name, "
            "e.g. cooking.stackexchange.com).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read the dump and say what would be imported."
        )
        parser.add_argument("--report", help="Write every skipped row, and why, to this file.")

    def handle(self, *args, directory, community, site, dry_run, report, **options):
        if not os.path.isdir(directory):
            raise CommandError(f"{directory} is not a folder.")
        target = Community.objects.filter(slug=community).first()
        if target is None:
            raise CommandError(f"There is no community with the slug “{community}”.")
        site = site or os.path.basename(os.path.normpath(os.path.abspath(directory)))
        bar = tqdm(
            unit=" questions",
            disable=not sys.stderr.isatty() or options.get("verbosity", 1) == 0,
            file=sys.stderr,
        )

        def on_total(total):
            bar.total = total
            bar.refresh()

        try:
            outcome = stackexchange_import(
                directory=directory,
                community=target,
                site=site,
                dry_run=dry_run,
                progress=bar.update,
                on_total=on_total,
            )
        except DumpError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused a write ({exc.__class__.__name__}: {exc}); what was "
                "imported before it stays, and running the import again resumes."
            ) from exc
        finally:
            bar.close()
        if report:
            try:
                with open(report, "w", encoding="utf-8") as f:
                    f.write(outcome.report.text())
            except OSError as exc:
                raise CommandError(f"Could not write the report to {report}: {exc}.") from exc
        counts = outcome.report.counts
        title = "Dry run: nothing was written." if dry_run else "Import finished."
        self.stdout.write(self.style.SUCCESS(f"{title} {outcome.questions:,} questions in {site}."))
        for key in sorted(counts):
            self.stdout.write(f"  {key}: {counts[key]:,}")
        lines = len(outcome.report.lines)
        where = f" (written to {report})" if report else " (use --report FILE to keep them)"
        self.stdout.write(f"{lines:,} report lines{where}.")
