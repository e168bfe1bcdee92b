from django.urls import path

from clinic.privacy import views

app_name = "privacy"

urlpatterns = [
    path("patients/<int:patient_id>/data/", views.patient_data, name="patient_data"),
    path("patients/<int:patient_id>/export.json", views.patient_data_export, name="patient_export"),
    path(
        "patients/<int:patient_id>/anonymise/",
        views.patient_data_anonymise,
        name="patient_anonymise",
    ),
    path("patients/<int:patient_id>/erase/", views.patient_data_erase, name="patient_erase"),
]
