from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from advice.content_schema import ContentError
from advice.models import ContentStatus, ContentVersion
from advice.services import content_approve, content_sync


class Command(BaseCommand):
    help = "Store new versions of the content files in advice/content/ as drafts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--approve-as",
            metavar="USERNAME",
            help="also approve every draft as this clinician (demo and tests only)",
        )

    def handle(self, *args, approve_as=None, **options):
        try:
            created = content_sync()
        except ContentError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{len(created)} new content version(s) stored as drafts.")
        if approve_as:
            user = get_user_model().objects.filter(username=approve_as).first()
            if user is None:
                raise CommandError(f"No user named {approve_as!r}.")
            drafts = list(ContentVersion.objects.filter(status=ContentStatus.DRAFT))
            try:
                for version in drafts:
                    content_approve(version=version, by=user)
            except ContentError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Approved {len(drafts)} draft(s) as {approve_as}.")
