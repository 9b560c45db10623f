import json

from django.core.management.base import BaseCommand, CommandError

from core.health import as_dict, run_checks


class Command(BaseCommand):
    help = "Report database, Redis, Celery worker and static files status; exit 1 if one fails."
    # A health report reports what fails; the system checks would stop it before it could.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, **options):
        checks = run_checks()
        if options["json"]:
            self.stdout.write(json.dumps(as_dict(checks), indent=2))
        else:
            for check in checks:
                style = self.style.SUCCESS if check.ok else self.style.ERROR
                self.stdout.write(f"{check.name:<10} {style(check.status):<16} {check.detail}")
        if not all(check.ok for check in checks):
            raise CommandError("At least one service is failing.")
