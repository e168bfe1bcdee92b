from django.urls import path

from intake.portal import views

app_name = "portal"

urlpatterns = [
    path("p/verify/", views.verify, name="verify"),
    path("p/start/", views.resume, name="resume"),
    path("p/q/<slug:page_id>/", views.page, name="page"),
    path("p/review/", views.review, name="review"),
    path("p/emergency/", views.emergency, name="emergency"),
    path("p/done/", views.done, name="done"),
    path("p/handout/pdf/", views.handout_pdf, name="handout_pdf"),
    path("p/handout/pdf/status/", views.handout_pdf_status, name="handout_pdf_status"),
    path("p/<str:token>/", views.link_open, name="link"),
]
