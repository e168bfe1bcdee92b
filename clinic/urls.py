from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import accounts, bench_floor, dashboard, views

dashboard_patterns = (
    [
        path("", dashboard.queue, name="queue"),
        path("cases/<int:case_id>/", dashboard.case_detail, name="case"),
        path("cases/<int:case_id>/<slug:action>/", dashboard.case_action, name="case_action"),
        path("appointments/", dashboard.appointments, name="appointments"),
        path(
            "appointments/<int:appointment_id>/answers/",
            dashboard.appointment_answers,
            name="answers",
        ),
        path(
            "appointments/<int:appointment_id>/handout.pdf",
            dashboard.appointment_handout_pdf,
            name="handout_pdf",
        ),
        path("notifications/", dashboard.notification_list, name="notifications"),
        path("notifications/bell/", dashboard.notification_bell, name="notification_bell"),
        path("patients/<int:patient_id>/data/", dashboard.patient_data, name="patient_data"),
        path(
            "patients/<int:patient_id>/export.json",
            dashboard.patient_data_export,
            name="patient_export",
        ),
        path(
            "patients/<int:patient_id>/anonymise/",
            dashboard.patient_data_anonymise,
            name="patient_anonymise",
        ),
        path(
            "patients/<int:patient_id>/erase/", dashboard.patient_data_erase, name="patient_erase"
        ),
    ],
    "clinic",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", accounts.StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", accounts.otp_verify, name="otp_verify"),
    path("accounts/2fa/setup/", accounts.otp_enrol, name="otp_enrol"),
    path("accounts/2fa/setup/qr.svg", accounts.otp_enrol_qr, name="otp_enrol_qr"),
    path("accounts/2fa/backup-codes/", accounts.otp_backup_codes, name="otp_backup_codes"),
    path("dashboard/", include(dashboard_patterns)),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
]

if settings.PREVISIT_BENCH_FLOOR:
    urlpatterns.insert(0, path("bench/floor", bench_floor.floor, name="bench_floor"))
