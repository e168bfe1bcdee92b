"""Staff accounts and the duty roster in the admin."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from clinic.staff.models import StaffProfile

# Django's user admin allows deletes; ours replaces it.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffAccountAdmin(UserAdmin):
    """Staff accounts are deactivated, never deleted: the audit trail must keep saying who.

    (On PostgreSQL the audit log's trigger would refuse it anyway: deleting a user clears the
    actor of their entries.) Deactivating ends every session of the account.
    """

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """The duty roster: who is told about every flag, and who is called when nobody acts."""

    list_display = ("user", "on_duty", "escalation_rank")
    list_editable = ("on_duty", "escalation_rank")
    list_filter = ("on_duty",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user",)
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True, is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
