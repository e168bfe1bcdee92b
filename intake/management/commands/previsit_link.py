from django.core.management.base import BaseCommand, CommandError

from clinic.records.models import Appointment
from intake.links.services import link_issue, link_path


class Command(BaseCommand):
    help = "Issue a new pre-visit link for an appointment and print it (the old one stops working)."

    def add_arguments(self, parser):
        parser.add_argument("appointment_id", type=int)
        parser.add_argument("--base-url", default="", help="e.g. https://clinic.example")

    def handle(self, *args, appointment_id, base_url, **options):
        appointment = Appointment.objects.filter(pk=appointment_id).first()
        if appointment is None:
            raise CommandError(f"There is no appointment with id {appointment_id}.")
        _, token = link_issue(appointment=appointment)
        self.stdout.write(base_url.rstrip("/") + link_path(token))
