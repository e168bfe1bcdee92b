"""The clinic app's admin pages, one module per room (admin registrations are the composition
root: they may import any room)."""

from django.contrib import admin

import clinic.audit.admin
import clinic.notifications.admin
import clinic.records.admin
import clinic.review.admin
import clinic.staff.admin  # noqa: F401

admin.site.site_header = "Previsit administration"
admin.site.site_title = "Previsit admin"
