from django.urls import path

from clinic.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.notification_bell, name="bell"),
]
