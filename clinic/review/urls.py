from django.urls import path

from clinic.review import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/<slug:action>/", views.case_action, name="case_action"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/<int:appointment_id>/answers/", views.appointment_answers, name="answers"),
    path(
        "appointments/<int:appointment_id>/handout.pdf",
        views.appointment_handout_pdf,
        name="handout_pdf",
    ),
]
