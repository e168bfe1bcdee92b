from django.apps import AppConfig
from django.core import checks


class IntakeConfig(AppConfig):
    """The patient's side. ready() registers how intake's notifications read (a locked link,
    the reminders) and checks that flagged responses have somewhere to go."""

    name = "intake"
    verbose_name = "Pre-visit intake"

    def ready(self):
        # layer: imported here, not at the top: models can only be imported once the app registry is
        # ready, which is what ready() is for.
        from clinic.notifications import kinds
        from intake.links import notices, reminders
        from intake.responses import flagging

        kinds.register(notices.KINDS)
        kinds.register(reminders.KINDS)
        checks.register(flagging.handler_registered)
