"""The outbox in the admin (read-only, with a retry for failures) and the webhook endpoints."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages

from clinic.notifications.models import DeliveryAttempt, Notification, WebhookEndpoint
from clinic.notifications.outbox import notification_retry


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("retry_round", "number", "started_at", "finished_at", "outcome", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read-only. A failed notification can be sent again with the retry action."""

    list_display = (
        "pk",
        "kind",
        "channel",
        "to",
        "case",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind", "created_at")
    search_fields = ("idempotency_key", "recipient__username", "address", "=case__id")
    list_select_related = ("recipient", "webhook", "case")
    show_full_result_count = False
    date_hierarchy = "created_at"
    inlines = (DeliveryAttemptInline,)
    actions = ("retry",)
    fields = (
        "kind",
        "channel",
        "status",
        "recipient",
        "address",
        "webhook",
        "case",
        "appointment",
        "about",
        "level",
        "previsit_link",
        "idempotency_key",
        "attempts",
        "retry_round",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "failed_at",
        "read_at",
    )
    readonly_fields = fields

    @admin.display(description="To")
    def to(self, obj):
        if obj.webhook_id:
            return f"webhook: {obj.webhook.name}"
        if obj.recipient_id:
            return obj.recipient.get_username()
        return obj.address

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("clinic.change_notification")

    @admin.action(description="Retry the selected failed notifications", permissions=["retry"])
    def retry(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True))
        retried = notification_retry(notification_ids=chosen, by=request.user)
        if retried:
            self.message_user(
                request, f"{retried} notification(s) queued again with a fresh set of attempts."
            )
        if retried < len(chosen):
            self.message_user(
                request,
                f"{len(chosen) - retried} selected notification(s) had not failed; left alone.",
                messages.WARNING,
            )


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", label="URL")
    new_secret = forms.CharField(
        required=False,
        min_length=16,
        max_length=128,
        strip=True,
        label="Secret",
        widget=forms.PasswordInput(render_value=False),
        help_text="The receiver checks each request's X-Previsit-Signature with it. At least 16 "
        "characters. Required for a new endpoint; leave blank to keep the current one.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            raise forms.ValidationError(
                "Use an https:// address: the requests carry a signature, not encryption."
            )
        return url

    def clean(self):
        cleaned = super().clean()
        missing = not self.instance.secret and not cleaned.get("new_secret")
        if missing and "new_secret" not in self.errors:
            self.add_error("new_secret", "Set a secret for the new endpoint.")
        return cleaned

    def save(self, commit=True):
        endpoint = super().save(commit=False)
        if self.cleaned_data.get("new_secret"):
            endpoint.secret = self.cleaned_data["new_secret"]
        if commit:
            endpoint.save()
        return endpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints told about flags and escalations. The secret is never shown back in full."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "active", "secret_hint", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url")
    list_select_related = ()
    show_full_result_count = False
    readonly_fields = ("secret_hint", "created_at")
    fields = ("name", "url", "active", "new_secret", "secret_hint", "created_at")

    @admin.display(description="Current secret")
    def secret_hint(self, obj):
        return obj.secret_hint if obj and obj.secret else "not set"
