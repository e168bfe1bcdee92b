from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def connect_role_sync(self):
        from clinic.services import roles_sync

        def _sync(sender, **kwargs):
            # Permissions only exist after every app's post_migrate has created them.
            roles_sync(using=kwargs.get("using", "default"))

        post_migrate.connect(_sync, dispatch_uid="clinic.roles_sync", weak=False)

    def ready(self):
        self.connect_role_sync()
