from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import dashboard, views

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
    ],
    "clinic",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", include(dashboard_patterns)),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
]
