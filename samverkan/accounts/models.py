"""Users (who log in by e-mail) and API keys (with which systems act for an organisation)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan.organisations.policy import PolicyQuerySet
from samverkan.organisations.roles import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with e-mail, password and (for most roles) a second factor."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin pages"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    enrolment_by_admin_only = models.BooleanField(
        _("authenticator link only from an administrator"),
        default=False,
        help_text=_(
            "Set when the password was reset by e-mail before an authenticator app was set up: the "
            "link to set one up is then sent only by an administrator, never at login."
        ),
    )

    objects = UserManager()
    # Set by django.contrib.auth.authenticate() on the user it returns (not a column).
    backend: str

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ApiKeyRole(models.TextChoices):
    """The rights a key acts with inside its organisation."""

    REGION_COORDINATOR = Role.REGION_COORDINATOR.value, Role.REGION_COORDINATOR.label
    MUNICIPAL_COORDINATOR = Role.MUNICIPAL_COORDINATOR.value, Role.MUNICIPAL_COORDINATOR.label


class ApiKey(models.Model):
    """A key with which a system acts for an organisation. Only the key's hash is stored."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("label"), max_length=100)
    role = models.CharField(_("acts as"), max_length=30, choices=ApiKeyRole.choices)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, help_text=_("Shown to tell keys apart."))
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                name="api_key_role_is_coordinator",
                condition=Q(role__in=ApiKeyRole.values),
                violation_error_message=_("A key acts as region or municipal coordinator."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} – {self.name}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.organisation.is_active

    # An API key is a principal: it is "authenticated" while it is usable.
    @property
    def is_authenticated(self) -> bool:
        return self.is_usable


class Notification(models.Model):
    """A message for one user in the app (and by e-mail when asked): something changed that concerns them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The header's unread count and the user's list, newest first.
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.text}"


class EnrolmentLinkQuerySet(models.QuerySet["EnrolmentLink"]):
    def open_for(self, user: User) -> EnrolmentLinkQuerySet:
        """The user's links that can still be opened (not yet used, not expired)."""
        return self.filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())


class EnrolmentLink(models.Model):
    """A link, sent by e-mail, that shows the secret of a new authenticator app once: opened in
    the browser session that has just passed the password step of the same user, before it
    expires, while the user has no authenticator. Only the token's hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    sent_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The administrator who sent it; empty when sent at the user's own login."),
    )
    used_at = models.DateTimeField(_("opened"), null=True, blank=True)

    objects = EnrolmentLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("authenticator set-up link")
        verbose_name_plural = _("authenticator set-up links")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class RateLimitHit(models.Model):
    """One counted request for a rate limit (samverkan/accounts/ratelimits.py), in the database so
    that every app process counts the same. What is counted (an e-mail address, a client address)
    is stored only as a keyed hash."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["scope", "key", "at"], name="rate_limit_scope_key_at"),
            models.Index(fields=["scope", "at"], name="rate_limit_scope_at"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.at:%Y-%m-%d %H:%M}"
