import os

from django.core.management.base import BaseCommand, CommandError

from importers.command_run import community_or_error, run_with_progress, write_outcome
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
        parser.add_argument(
            "--one-by-one",
            action="store_true",
            help="Write each question through the per-post services, one transaction each "
            "(slower; the same result as the default bulk writes).",
        )

    def handle(self, *args, directory, community, site, dry_run, report, one_by_one, **options):
        if not os.path.isdir(directory):
            raise CommandError(f"{directory} is not a folder.")
        target = community_or_error(community)
        site = site or os.path.basename(os.path.normpath(os.path.abspath(directory)))
        outcome = run_with_progress(
            lambda **progress: stackexchange_import(
                directory=directory,
                community=target,
                site=site,
                dry_run=dry_run,
                bulk=not one_by_one,
                **progress,
            ),
            unit=" questions",
            input_errors=(DumpError,),
            verbosity=options.get("verbosity", 1),
        )
        write_outcome(
            self,
            outcome,
            report=report,
            dry_run=dry_run,
            what=f"{outcome.questions:,} questions in {site}.",
        )
