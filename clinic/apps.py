from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class PrevisitAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site: sign-in and the second factor as on the dashboard."""

    default = False
    default_site = "clinic.admin_site.PrevisitAdminSite"


class ClinicConfig(AppConfig):
    default = True
    name = "clinic"
    verbose_name = "Clinic"

    def connect_role_sync(self):
        from clinic.services import roles_sync

        def _sync(sender, **kwargs):
            # Permissions only exist after every app's post_migrate has created them.
            roles_sync(using=kwargs.get("using", "default"))

        post_migrate.connect(_sync, dispatch_uid="clinic.roles_sync", weak=False)

    def ready(self):
        from clinic import audit

        self.connect_role_sync()
        audit.register_models()
