"""Staff sign-in: the password (with lockout), then a TOTP code, and enrolment of the authenticator.

1. `/accounts/login/`: username and password. django-axes counts failures per username and IP
   address and locks that pair out for AXES_COOLOFF_TIME after AXES_FAILURE_LIMIT of them.
2. `/accounts/2fa/`: the six-digit code from the authenticator app, or one backup code.
   Accounts that must use a second factor (clinicians, clinic admins, superusers) and have none
   yet are sent to enrol first.
3. `/accounts/2fa/setup/`: a QR code (an SVG from our own origin, so the content security
   policy needs no data: images for it) and the key in text; the first correct code confirms
   the device and shows ten single-use backup codes.

An account that already has a confirmed device can add or replace one only after using it:
someone who learned a password can't enrol their own phone. A clinic admin resets a lost
device by deleting it in the admin (TOTP devices); the person then enrols again.
"""

import logging
from urllib.parse import parse_qs, urlsplit

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from clinic.http import no_store
from clinic.staff.forms import CodeForm
from clinic.staff.roles import Role, has_role
from clinic.staff.second_factor import needs_second_factor
from clinic.staff.selectors import backup_codes_left, confirmed_app_device, pending_app_device
from clinic.staff.services import (
    app_device_confirm,
    app_device_pending,
    backup_codes_issue,
    second_factor_check,
)

logger = logging.getLogger("clinic.staff")


def home_for(user) -> str:
    """Where a signed-in person starts: the queue, the appointment board, or the admin."""
    if has_role(user, Role.CLINICIAN):
        return reverse("review:queue")
    if has_role(user, Role.FRONT_DESK):
        return reverse("review:appointments")
    return reverse("admin:index")


def _safe_next(request, fallback: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def _with_next(url_name: str, next_url: str) -> str:
    query = QueryDict(mutable=True)
    query["next"] = next_url
    return f"{reverse(url_name)}?{query.urlencode()}"


class StaffLoginView(auth_views.LoginView):
    """Django's LoginView (it makes a new session id); the second factor comes next."""

    template_name = "registration/login.html"

    def get_default_redirect_url(self):
        return home_for(self.request.user)

    def get_success_url(self):
        target = super().get_success_url()
        if needs_second_factor(self.request.user):
            return _with_next("otp_verify", target)
        return target

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        context["cooloff_minutes"] = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        return context


def _finish_second_factor(request, device):
    otp_login(request, device)
    request.session.cycle_key()  # a new session id for the fully signed-in session


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
    next_url = _safe_next(request, home_for(user))
    if user.is_verified():
        return redirect(next_url)
    if not any(devices_for_user(user)):
        if not needs_second_factor(user):
            return redirect(next_url)
        return redirect(_with_next("otp_enrol", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = second_factor_check(user=user, code=form.cleaned_data["code"])
        if verified is not None:
            _finish_second_factor(request, verified)
            if isinstance(verified, StaticDevice) and verified.token_set.count() < 3:
                messages.warning(
                    request,
                    "You are running out of backup codes. Make new ones under "
                    "Sign-in codes at the top of the page.",
                )
            return redirect(next_url)
        logger.warning("second factor refused for user %s", user.pk)
        form.add_error("code", "That code didn't work. Check the time on your phone and try again.")
    status = 400 if form.is_bound and form.errors else 200
    return no_store(
        render(
            request, "registration/otp_verify.html", {"form": form, "next": next_url}, status=status
        )
    )


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
    next_url = _safe_next(request, home_for(user))
    if confirmed_app_device(user) is not None and not user.is_verified():
        # Replacing a device takes the current one: a password alone can't add a phone.
        return redirect(_with_next("otp_verify", next_url))
    device = app_device_pending(user=user)
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = "The 6-digit code your app shows now."
    if request.method == "POST" and form.is_valid():
        codes = app_device_confirm(user=user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            _finish_second_factor(request, device)
            context = {"codes": codes, "next": next_url, "enrolled": True}
            return no_store(render(request, "registration/otp_backup_codes.html", context))
        form.add_error("code", "That code didn't work. Check the time on your phone and try again.")
    context = {"form": form, "next": next_url, "key": _spaced(device.config_url)}
    status = 400 if form.is_bound and form.errors else 200
    return no_store(render(request, "registration/otp_enrol.html", context, status=status))


@never_cache
@require_http_methods(["GET"])
def otp_enrol_qr(request):
    """The QR code of the device being set up, as an SVG image (img-src 'self', no data: URI).

    Only for the signed-in person's own unconfirmed device: a confirmed key is never shown again.
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404
    device = pending_app_device(user)
    if device is None:
        raise Http404
    return no_store(HttpResponse(_qr_svg(device.config_url), content_type="image/svg+xml"))


def _spaced(config_url: str) -> str:
    """The base32 key in groups of four, for typing into an app by hand."""
    secret = parse_qs(urlsplit(config_url).query)["secret"][0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def otp_backup_codes(request):
    """See how many backup codes are left, and make a new set (shown once)."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
    if not user.is_verified():
        return redirect(_with_next("otp_verify", request.get_full_path()))
    if request.method == "POST":
        codes = backup_codes_issue(user=user)
        context = {"codes": codes, "next": home_for(user)}
        return no_store(render(request, "registration/otp_backup_codes.html", context))
    left = backup_codes_left(user)
    return no_store(
        render(
            request, "registration/otp_backup_codes.html", {"left": left, "next": home_for(user)}
        )
    )
