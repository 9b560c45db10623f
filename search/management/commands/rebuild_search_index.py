import time

from django.core.management.base import BaseCommand, CommandError

from communities.models import Community
from search import indexing


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the content (threads, posts, published repertoire items, "
        "members), for every community or for one. Safe to run at any time: each community is "
        "replaced in one transaction, so searches see the old entries until the new ones are in."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--community", metavar="SLUG", help="Rebuild only this community (by its slug)."
        )

    def handle(self, *args, community=None, **options):
        started = time.monotonic()
        if community:
            found = Community.objects.filter(slug=community).first()
            if found is None:
                raise CommandError(f"No community with the slug {community!r}.")
            communities = [found]
        else:
            communities = list(Community.objects.order_by("pk"))
        total = indexing.rebuild(communities=communities, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Search index rebuilt: {total:,} entries in {len(communities):,} "
                f"communit{'y' if len(communities) == 1 else 'ies'} "
                f"({time.monotonic() - started:.1f} s)."
            )
        )
