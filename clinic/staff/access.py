"""The one gate for staff pages: signed in, in one of the roles, and never cached."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from clinic.http import no_store
from clinic.staff.roles import Role, has_role

STAFF_ROLES = (Role.CLINICIAN, Role.FRONT_DESK, Role.CLINIC_ADMIN)


def staff_view(*roles: Role):
    """Signed-in staff in one of `roles`; anyone else is sent to sign in or refused (403)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(has_role(request.user, role) for role in roles):
                raise PermissionDenied
            return no_store(view(request, *args, **kwargs))

        return wrapped

    return decorate


def require_role(request, role: Role) -> None:
    """For a view's access helper: refuse anyone without the role (403)."""
    if not has_role(request.user, role):
        raise PermissionDenied
