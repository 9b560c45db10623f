import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from communities.models import Community
from importers.mbox_archive import MboxError
from importers.mbox_import import mbox_import


class Command(BaseCommand):
    help = (
        "Import a mailing-list archive (an mbox: Mailman 2 or 3 / HyperKitty export, Google "
        "Groups takeout; gzipped or not) into a community. Running it again adds nothing; an "
        "interrupted run resumes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The mbox file.")
        parser.add_argument("--community", required=True, help="The community's slug.")
        parser.add_argument(
            "--list",
            dest="site",
            default="",
            help="The list's name, shown on each imported thread (default: the file's name "
            "without its extension).",
        )
        parser.add_argument(
            "--list-address",
            default="",
            help="The list's posting address, to recognise messages the list rewrote "
            "(DMARC's “Name via List”).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read the archive; say what would be imported."
        )
        parser.add_argument("--report", help="Write every skipped message, and why, to this file.")

    def handle(self, *args, file, community, site, list_address, dry_run, report, **options):
        if not os.path.isfile(file):
            raise CommandError(f"{file} is not a file.")
        target = Community.objects.filter(slug=community).first()
        if target is None:
            raise CommandError(f"There is no community with the slug “{community}”.")
        site = site or os.path.basename(file).split(".")[0] or "list"
        bar = tqdm(
            unit=" threads",
            disable=not sys.stderr.isatty() or options.get("verbosity", 1) == 0,
            file=sys.stderr,
        )

        def on_total(total):
            bar.total = total
            bar.refresh()

        try:
            outcome = mbox_import(
                path=file,
                community=target,
                site=site[:200],
                list_address=list_address,
                dry_run=dry_run,
                progress=bar.update,
                on_total=on_total,
            )
        except MboxError as exc:
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
        self.stdout.write(
            self.style.SUCCESS(
                f"{title} {outcome.messages:,} messages in {outcome.threads:,} threads of {site}."
            )
        )
        for key in sorted(counts):
            self.stdout.write(f"  {key}: {counts[key]:,}")
        lines = len(outcome.report.lines)
        where = f" (written to {report})" if report else " (use --report FILE to keep them)"
        self.stdout.write(f"{lines:,} report lines{where}.")
