"""Template filters of the staff room: which role a user has, so menus show only what opens."""

from django import template

from clinic.staff.roles import Role, has_role

register = template.Library()


@register.filter(name="has_role")
def has_role_filter(user, role: str) -> bool:
    """`{% if request.user|has_role:"clinician" %}`; an unknown role name is simply False."""
    try:
        return has_role(user, Role(role))
    except ValueError:
        return False
