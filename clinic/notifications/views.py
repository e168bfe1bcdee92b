"""The bell on every staff page, and the list behind it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from clinic.http import no_store
from clinic.notifications import inbox
from clinic.notifications.forms import BellForm, MarkReadForm
from clinic.notifications.kinds import kind_handlers
from clinic.staff.access import STAFF_ROLES, staff_view
from clinic.staff.roles import has_role


@require_safe
def notification_bell(request):
    """The bell's unread count, polled by htmx on every staff page.

    The page sends the count it shows; an unchanged count is a 204 (htmx leaves the page alone),
    a higher one also fills the screen-reader announcer. A session that ended reloads the page,
    which then asks to sign in, instead of swapping a login form into the navigation.
    """
    if not request.user.is_authenticated:
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return no_store(response)
        return redirect_to_login(request.get_full_path())
    if not any(has_role(request.user, role) for role in STAFF_ROLES):
        raise PermissionDenied
    form = BellForm(request.GET)
    if not form.is_valid():
        return no_store(HttpResponseBadRequest("seen must be a whole number from 0"))
    seen = form.cleaned_data["seen"]
    unread = inbox.unread_count(user=request.user)
    if seen is not None and seen == unread and request.htmx:
        return no_store(HttpResponse(status=204))
    context = {
        "unread": unread,
        "poll_seconds": settings.NOTIFICATION_BELL_POLL_SECONDS,
        "rose": seen is not None and unread > seen,
    }
    return no_store(render(request, "clinic/partials/bell_update.html", context))


@require_http_methods(["GET", "POST"])
@staff_view(*STAFF_ROLES)
def notification_list(request):
    """The signed-in user's latest notifications. Reading them is a choice: "Mark as read"
    posts the ones this page showed (a GET never writes)."""
    latest = inbox.inbox(user=request.user)
    if request.method == "POST":
        form = MarkReadForm(request.POST, shown_ids=[n.pk for n in latest])
        if form.is_valid():
            inbox.notifications_mark_read(
                user=request.user, notification_ids=form.cleaned_data["shown"]
            )
            return redirect("notifications:list")
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        status = 400
    else:
        status = 200
    rows = [
        {
            "notification": n,
            "unread": n.read_at is None,
            "url": kind_handlers(n.kind).link(n, request.user),
        }
        for n in latest
    ]
    unread_ids = [row["notification"].pk for row in rows if row["unread"]]
    return render(
        request,
        "clinic/notifications.html",
        {"rows": rows, "unread_ids": unread_ids},
        status=status,
    )
