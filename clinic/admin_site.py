"""The Django admin, behind the same sign-in as the dashboard.

`/admin/login/` is not a second door: it sends people to `/accounts/login/`, where the password
is counted by django-axes and the TOTP code is asked for. `has_permission` also demands the
second factor from every account that needs one, so a session with a password alone sees no
admin page whichever way it arrives.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url

from clinic.staff.second_factor import second_factor_missing

# Sections named in words staff use, not the libraries' labels ("AXES", "OTP_TOTP").
SECTION_NAMES = {
    "auth": "Staff accounts and roles",
    "axes": "Sign-in lockouts",
    "otp_totp": "Two-step devices",
    "otp_static": "Backup codes",
    "auditlog": "Audit trail",
}


class PrevisitAdminSite(admin.AdminSite):
    site_header = "Previsit administration"
    site_title = "Previsit admin"

    def get_app_list(self, request, app_label=None):
        sections = super().get_app_list(request, app_label)
        for section in sections:
            section["name"] = SECTION_NAMES.get(section["app_label"], section["name"])
        return sections

    def has_permission(self, request):
        return super().has_permission(request) and not second_factor_missing(request.user)

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or resolve_url("admin:index")
        return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
