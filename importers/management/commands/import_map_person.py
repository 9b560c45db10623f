from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from communities.models import Community
from importers.services import placeholder_map


class Command(BaseCommand):
    help = (
        "Hand an imported person's placeholder (their id on the site) to a member's real "
        "account: their threads, posts and revisions become that account's."
    )

    def add_arguments(self, parser):
        parser.add_argument("person", help="The person's id on the site (Users.xml's Id).")
        parser.add_argument("username", help="The member's account.")
        parser.add_argument("--community", required=True, help="The community's slug.")
        parser.add_argument("--site", required=True, help="The site, as the import named it.")

    def handle(self, *args, person, username, community, site, **options):
        target = Community.objects.filter(slug=community).first()
        if target is None:
            raise CommandError(f"There is no community with the slug “{community}”.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no account named “{username}”.")
        try:
            moved = placeholder_map(community=target, site=site, person=person, to_user=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{moved:,} posts of person {person} of {site} are now {username}'s."
            )
        )
