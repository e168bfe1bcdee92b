"""Who may open which URL: the one table the role-matrix test and docs/security.md share.

`python -m tests.security.access_matrix` prints the Markdown that docs/security.md must contain
(tests/security/test_access_matrix.py checks that it does, and that every URL in the URLconf
has a rule here: a new URL without one fails the test).

Statuses are for a GET. 302 from a staff page is "sign in first"; 403 is "signed in, not
allowed"; 405 is "GET is not how this is used" (the action needs a POST, which the same checks
guard). The verified patient is a browser session that opened a link and confirmed the date of
birth; to every staff page it is a stranger.
"""

ROLES = ("anonymous", "verified patient", "front desk", "clinician", "clinic admin")

# route: (anonymous, verified patient, front desk, clinician, clinic admin)
PAGES = {
    "": (200, 200, 200, 200, 200),
    "healthz": (200, 200, 200, 200, 200),
    "healthz/delivery": (200, 200, 200, 200, 200),
    "favicon.ico": (301, 301, 301, 301, 301),
    "accounts/login/": (200, 200, 200, 200, 200),
    "accounts/logout/": (405, 405, 405, 405, 405),
    "accounts/2fa/": (302, 302, 302, 302, 302),
    "accounts/2fa/setup/": (302, 302, 200, 200, 200),
    "accounts/2fa/setup/qr.svg": (404, 404, 200, 200, 200),
    "accounts/2fa/backup-codes/": (302, 302, 200, 200, 200),
    "dashboard/": (302, 302, 403, 200, 403),
    "dashboard/cases/<int:case_id>/": (302, 302, 403, 200, 403),
    "dashboard/cases/<int:case_id>/<slug:action>/": (405, 405, 405, 405, 405),
    "dashboard/appointments/": (302, 302, 200, 200, 403),
    "dashboard/appointments/<int:appointment_id>/answers/": (302, 302, 403, 200, 403),
    "dashboard/appointments/<int:appointment_id>/handout.pdf": (302, 302, 403, 200, 403),
    "dashboard/notifications/": (302, 302, 200, 200, 200),
    "dashboard/notifications/bell/": (302, 302, 200, 200, 200),
    "dashboard/patients/<int:patient_id>/data/": (302, 302, 403, 403, 200),
    "dashboard/patients/<int:patient_id>/export.json": (302, 302, 403, 403, 200),
    "dashboard/patients/<int:patient_id>/anonymise/": (405, 405, 405, 405, 405),
    "dashboard/patients/<int:patient_id>/erase/": (405, 405, 405, 405, 405),
    "p/verify/": (403, 200, 403, 403, 403),
    "p/start/": (403, 302, 403, 403, 403),
    "p/q/<slug:page_id>/": (403, 302, 403, 403, 403),
    "p/review/": (403, 302, 403, 403, 403),
    "p/emergency/": (403, 200, 403, 403, 403),
    "p/done/": (403, 200, 403, 403, 403),
    "p/handout/pdf/": (403, 200, 403, 403, 403),
    "p/handout/pdf/status/": (403, 200, 403, 403, 403),
    "p/<str:token>/": (302, 302, 200, 200, 200),
    # The admin site's own pages (its models are below).
    "admin/": (302, 302, 200, 200, 200),
    "admin/login/": (302, 302, 302, 302, 302),
    "admin/logout/": (302, 302, 405, 405, 405),
    "admin/password_change/": (302, 302, 200, 200, 200),
    "admin/password_change/done/": (302, 302, 200, 200, 200),
    "admin/autocomplete/": (302, 302, 403, 403, 403),
    "admin/jsi18n/": (302, 302, 200, 200, 200),
    "admin/r/<path:content_type_id>/<path:object_id>/": (302, 302, 404, 404, 404),
    "admin/^(?P<app_label>...)/$": (302, 302, 200, 200, 200),
    "admin/(?P<url>.*)$": (302, 302, 404, 404, 404),
    "admin/auth/user/<id>/password/": (302, 302, 403, 403, 200),
    "admin/otp_totp/totpdevice/<int:pk>/config/": (302, 302, 403, 403, 403),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": (302, 302, 403, 403, 403),
    "admin/auditlog/logentry/export.csv": (302, 302, 403, 403, 200),
}

# What each staff role may do with each model in the admin: v = list, open and see the history
# of a record; a = add one; d = delete one. Nothing for anonymous visitors or patients (302).
ADMIN_MODELS = {
    # model: (front desk, clinician, clinic admin)
    "auth/group": ("", "", "v"),
    "auth/user": ("", "", "va"),
    "otp_totp/totpdevice": ("", "", "vd"),
    "otp_static/staticdevice": ("", "", "vd"),
    "axes/accessattempt": ("", "", "vd"),
    "axes/accesslog": ("", "", "v"),
    "axes/accessfailurelog": ("", "", ""),
    "auditlog/logentry": ("", "", "v"),
    "intake/questionnaire": ("", "v", "va"),
    "intake/previsitlink": ("v", "", "v"),
    "intake/linkattempt": ("", "", "v"),
    "intake/response": ("", "v", "v"),
    "intake/issuedhandout": ("", "v", "v"),
    "clinic/patient": ("va", "v", "vad"),
    "clinic/appointment": ("va", "v", "vad"),
    "clinic/case": ("", "v", "v"),
    "clinic/caseevent": ("", "v", "v"),
    "clinic/notification": ("", "", "v"),
    "clinic/webhookendpoint": ("", "", "vad"),
    "clinic/staffprofile": ("", "", "vad"),
    "advice/contentversion": ("", "v", "v"),
}

_ADMIN_PAGES = {
    # suffix: the letter that opens it
    "": "v",
    "add/": "a",
    "<path:object_id>/history/": "v",
    "<path:object_id>/delete/": "d",
    "<path:object_id>/change/": "v",
}


def admin_model_routes() -> dict[str, tuple[int, ...]]:
    routes = {}
    for model, abilities in ADMIN_MODELS.items():
        for suffix, letter in _ADMIN_PAGES.items():
            staff = tuple(200 if letter in able else 403 for able in abilities)
            routes[f"admin/{model}/{suffix}"] = (302, 302, *staff)
        # A bare object URL redirects to its change page, for everyone.
        routes[f"admin/{model}/<path:object_id>/"] = (302, 302, 302, 302, 302)
    return routes


def expected() -> dict[str, tuple[int, ...]]:
    return {**PAGES, **admin_model_routes()}


def markdown() -> str:
    head = "| URL (GET) | " + " | ".join(ROLES) + " |\n|---|" + "---|" * len(ROLES) + "\n"
    pages = "".join(
        f"| `/{route}` | " + " | ".join(str(code) for code in codes) + " |\n"
        for route, codes in PAGES.items()
    )
    words = {"v": "view", "a": "add", "d": "delete"}
    models = (
        "| admin model | front desk | clinician | clinic admin |\n|---|---|---|---|\n"
        + "".join(
            f"| `{model}` | "
            + " | ".join(", ".join(words[c] for c in able) or "none" for able in abilities)
            + " |\n"
            for model, abilities in ADMIN_MODELS.items()
        )
    )
    return head + pages + "\n" + models


if __name__ == "__main__":
    print(markdown(), end="")
