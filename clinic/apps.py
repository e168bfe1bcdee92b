from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core import checks
from django.db.models.signals import post_migrate


class PrevisitAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site: sign-in and the second factor as on the dashboard."""

    default = False
    default_site = "clinic.admin_site.PrevisitAdminSite"


class ClinicConfig(AppConfig):
    """The clinic's side. ready() wires the rooms together: every call from a lower room up to
    a higher one is registered here, so a reader finds it (docs/architecture.md)."""

    default = True
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        # layer: imported here, not at the top: models can only be imported once the app registry is
        # ready, which is what ready() is for.
        from clinic.audit import trail
        from clinic.notifications import failures, kinds
        from clinic.notifications.checks import every_kind_registered
        from clinic.review import notices
        from clinic.review.services import case_flag
        from clinic.staff.services import roles_sync
        from intake.responses import flagging

        # Every model holding health information is audited.
        trail.register_models()

        def sync_roles(sender, **kwargs):
            # Permissions only exist after every app's post_migrate has created them.
            roles_sync(using=kwargs.get("using", "default"))

        post_migrate.connect(sync_roles, dispatch_uid="clinic.roles_sync", weak=False)
        # How the review room's and the outbox's own notifications read.
        kinds.register(notices.KINDS)
        kinds.register(failures.KINDS)
        checks.register(every_kind_registered)
        # A triage result that needs a clinician, from the portal, becomes a case in review.
        flagging.register_flag_handler(case_flag)
