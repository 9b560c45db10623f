import os

from django.core.management.base import BaseCommand, CommandError

from importers.command_run import community_or_error, run_with_progress, write_outcome
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
        parser.add_argument(
            "--one-by-one",
            action="store_true",
            help="Write each message through the per-post services, one thread per transaction "
            "(slower; the same result as the default bulk writes).",
        )

    def handle(
        self, *args, file, community, site, list_address, dry_run, report, one_by_one, **options
    ):
        if not os.path.isfile(file):
            raise CommandError(f"{file} is not a file.")
        target = community_or_error(community)
        site = site or os.path.basename(file).split(".")[0] or "list"
        outcome = run_with_progress(
            lambda **progress: mbox_import(
                path=file,
                community=target,
                site=site[:200],
                list_address=list_address,
                dry_run=dry_run,
                bulk=not one_by_one,
                **progress,
            ),
            unit=" threads",
            input_errors=(MboxError,),
            verbosity=options.get("verbosity", 1),
        )
        what = f"{outcome.messages:,} messages in {outcome.threads:,} threads of {site}."
        write_outcome(self, outcome, report=report, dry_run=dry_run, what=what)
