"""Print the current sign-in code of a demo user, for trying the app (refuses in production)."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.management.commands.seed_demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the current 6-digit code of a demo user made by seed_demo."

    def add_arguments(self, parser):
        parser.add_argument("username", choices=[name for name, *_ in DEMO_USERS])

    def handle(self, *args, username, **options):
        if os.environ.get("DJANGO_ENV", "").strip().lower() == "production":
            raise CommandError("demo_code is for trying the app; it refuses to run in production.")
        user = get_user_model().objects.filter(username=username).first()
        device = TOTPDevice.objects.filter(user=user, name="Demo authenticator").first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator: run seed_demo first.")
        code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        seconds = device.step - int(code.time) % device.step
        self.stdout.write(f"{code.token():06d}  (valid for about {seconds} more seconds)")
