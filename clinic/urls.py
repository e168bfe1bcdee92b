"""The root URLconf: each room's pages under their prefix (the composition root may import all)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from clinic import bench_floor, views

handler500 = views.server_error

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says; every page logged a 404 for it.
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz/delivery", views.healthz_delivery, name="healthz_delivery"),
    path("", include("clinic.staff.urls")),
    path("dashboard/", include("clinic.review.urls")),
    path("dashboard/notifications/", include("clinic.notifications.urls")),
    path("dashboard/", include("clinic.privacy.urls")),
    path("admin/", admin.site.urls),
    path("", include("intake.portal.urls")),
]

if settings.PREVISIT_BENCH_FLOOR:
    urlpatterns.insert(0, path("bench/floor", bench_floor.floor, name="bench_floor"))
