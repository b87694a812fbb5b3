from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts import services
from samverkan.accounts.models import ApiKey, User
from samverkan.audit.admin import AuditedModelAdmin
from samverkan.organisations import policy
from samverkan.organisations.models import Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation", "unit"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "has_authenticator", "last_login"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    inlines = [MembershipInline]
    actions = ["send_enrolment_link"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "enrolment_by_admin_only"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined", "enrolment_by_admin_only"]

    def get_queryset(self, request):
        devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_authenticator=Exists(devices))

    @admin.display(boolean=True, description=_("authenticator app"), ordering="has_authenticator")
    def has_authenticator(self, user) -> bool:
        return user.has_authenticator

    @admin.action(description=_("Send a link to set up the authenticator app"))
    def send_enrolment_link(self, request, queryset):
        """E-mail each chosen user who needs a second factor and has none a set-up link (audited).
        To replace a lost phone, delete the user's authenticator device first."""
        sent = 0
        for user in queryset:
            if user.is_active and not user.has_authenticator and policy.requires_second_factor(user):
                services.enrolment_link_send(user=user, by=policy.actor_of(request))
                sent += 1
        skipped = len(queryset) - sent
        self.message_user(
            request,
            ngettext(
                "A set-up link was e-mailed to %(count)d user.", "A set-up link was e-mailed to %(count)d users.", sent
            )
            % {"count": sent},
            messages.SUCCESS if sent else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d user was skipped: inactive, already has an authenticator app, or has no role that needs one.",
                    "%(count)d users were skipped: inactive, already have an authenticator app, or have no role that needs one.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedModelAdmin):
    """Keys are created with `manage.py create_api_key` or on the API-key page; here they can be revoked."""

    list_display = ["prefix", "name", "organisation", "role", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["role", "organisation__county"]
    search_fields = ["prefix", "name", "organisation__name"]
    fields = ["prefix", "name", "organisation", "role", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "organisation", "role", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
