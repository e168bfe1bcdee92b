"""Sign-in pages. Without a namespace: Django's own pages and settings.LOGIN_URL expect these."""

from django.contrib.auth import views as auth_views
from django.urls import path

from clinic.staff import views

urlpatterns = [
    path("accounts/login/", views.StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", views.otp_verify, name="otp_verify"),
    path("accounts/2fa/setup/", views.otp_enrol, name="otp_enrol"),
    path("accounts/2fa/setup/qr.svg", views.otp_enrol_qr, name="otp_enrol_qr"),
    path("accounts/2fa/backup-codes/", views.otp_backup_codes, name="otp_backup_codes"),
]
