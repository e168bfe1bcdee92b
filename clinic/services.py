"""Writes on the clinic's side: roles, and (later) flags, reviews and notifications."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from clinic.roles import ROLE_PERMISSIONS, Role


@transaction.atomic
def roles_sync(*, using: str = "default") -> None:
    """Make each role's group hold exactly the admin permissions ROLE_PERMISSIONS names."""
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for model_label, actions in ROLE_PERMISSIONS.get(role, {}).items():
            app_label, model = model_label.split(".")
            for action in actions:
                wanted.append((app_label, f"{action}_{model}"))
        perms = [
            p
            for p in Permission.objects.using(using)
            .filter(content_type__app_label__in={a for a, _ in wanted})
            .select_related("content_type")
            if (p.content_type.app_label, p.codename) in set(wanted)
        ]
        group.permissions.set(perms)
