from django.core.management.base import BaseCommand, CommandError

from communities.interactions import interactions_rebuild
from communities.models import Community


class Command(BaseCommand):
    help = "Rebuild the interaction log from the content (all communities, or the given slugs)."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Community slugs (default: all).")

    def handle(self, *args, slugs, **options):
        communities = None
        if slugs:
            communities = list(Community.objects.filter(slug__in=slugs))
            missing = set(slugs) - {c.slug for c in communities}
            if missing:
                raise CommandError(f"No such community: {', '.join(sorted(missing))}")
        count = interactions_rebuild(communities=communities)
        scope = ", ".join(slugs) if slugs else "all communities"
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {count} interactions for {scope}."))
