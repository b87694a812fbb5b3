"""Login in two steps (password, then the authenticator code), the account page and API keys."""

from __future__ import annotations

import base64
import logging
from io import BytesIO
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts import ratelimits, secondfactor, services
from samverkan.accounts.forms import ApiKeyForm, LoginForm, TokenForm
from samverkan.accounts.models import ApiKey, EnrolmentLink, User
from samverkan.clientip import client_ip
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation

PENDING = "pending_login"
MAX_TOKEN_FAILURES = 5
logger = logging.getLogger(__name__)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("portal:home")


@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"].lower(), password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked_out.html", status=429)
        if user is None:
            form.add_error(None, _("The e-mail address or the password is wrong."))
        elif policy.requires_second_factor(user):
            request.session.cycle_key()
            request.session[PENDING] = {"user_id": user.pk, "backend": user.backend, "failures": 0}
            target = _safe_next(request)
            if _is_enrolment_link(target):  # the link was opened first: back to it, now with the password given
                return redirect(target)
            if not _has_authenticator(user) and not EnrolmentLink.objects.open_for(user).exists():
                services.enrolment_link_request(user=user)
            return redirect(f"{reverse('accounts:login_otp')}?next={target}")
        else:
            login(request, user)
            services.login_recorded(user=user, second_factor=False)
            return redirect(_safe_next(request))
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING)
    if not pending:
        return None
    return User.objects.filter(pk=pending["user_id"], is_active=True).first()


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def _has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _is_enrolment_link(target: str) -> bool:
    try:
        return resolve(urlsplit(target).path).view_name == "accounts:enrolment_link"
    except Resolver404:
        return False


def login_otp_view(request: HttpRequest) -> HttpResponse:
    """Step two: the authenticator's code. A user without an authenticator sees its secret only
    after opening the e-mailed set-up link in this session (`enrolment_link_view`); until then
    this page says that the link is on its way and can send a new one."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    enrolling = device is None
    if enrolling:
        device_id = request.session[PENDING].get("device_id")
        device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first() if device_id else None
        if device is None:
            return _enrolment_waiting(request, user)
    form = TokenForm(request.POST or None)
    wait = secondfactor.wait_seconds([device]) if request.method == "POST" else 0
    if wait:
        form.is_valid()
        form.add_error("token", secondfactor.wait_message(wait))  # not counted as a wrong code
    elif request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        ok = services.totp_device_confirm(device=device, token=token) if enrolling else device.verify_token(token)
        if ok:
            pending = request.session.pop(PENDING)
            user.backend = pending["backend"]
            login(request, user)
            otp_login(request, device)
            services.login_recorded(user=user, second_factor=True)
            return redirect(_safe_next(request))
        pending = request.session[PENDING]
        pending["failures"] += 1
        request.session[PENDING] = pending
        if pending["failures"] >= MAX_TOKEN_FAILURES:
            del request.session[PENDING]
            messages.error(request, _("Too many wrong codes. Log in again."))
            return redirect("accounts:login")
        form.add_error("token", _("The code is wrong or too old. Try the code now shown in the app."))
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request)}
    if enrolling:
        context["qr_svg"] = mark_safe(_qr_svg(device.config_url))  # noqa: S308 - generated by qrcode
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/login_otp.html", context)


def _enrolment_waiting(request: HttpRequest, user: User) -> HttpResponse:
    """The page between the password and the set-up link: where the link is, a new one on request."""
    if request.method == "POST" and "send_link" in request.POST:
        if services.enrolment_link_request(user=user):
            messages.success(request, _("A new link has been sent. Links sent before it no longer work."))
        elif not user.enrolment_by_admin_only:
            messages.error(request, _("Too many links have been sent in the last hour. Try again later."))
        return redirect(f"{reverse('accounts:login_otp')}?next={_safe_next(request)}")
    link = EnrolmentLink.objects.open_for(user).first()
    return render(
        request,
        "accounts/enrolment_waiting.html",
        {
            "link": link,
            "by_admin_only": user.enrolment_by_admin_only and link is None,
            "email": user.email,
            "minutes": settings.ENROLMENT_LINK_MINUTES,
            "next": _safe_next(request),
        },
    )


def enrolment_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed set-up link. It works only in a session that has just passed the password
    step of the link's user, so a mailbox alone is not enough; the first such opening uses it up."""
    user = _pending_user(request)
    if user is None and request.user.is_authenticated:  # logged in already: nothing left to set up here
        return render(request, "accounts/enrolment_link_invalid.html", status=410)
    if user is None:
        login_url = f"{reverse('accounts:login')}?{urlencode({'next': request.path})}"
        return render(request, "accounts/enrolment_login_first.html", {"login_url": login_url})
    pending = request.session[PENDING]
    device = services.enrolment_link_open(raw_token=token, user=user)
    if device is None and pending.get("device_id"):  # opened in this session already (a reload)
        return redirect("accounts:login_otp")
    if device is None:
        return render(request, "accounts/enrolment_link_invalid.html", status=410)
    pending["device_id"] = device.pk
    request.session[PENDING] = pending
    return redirect("accounts:login_otp")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("accounts:login")


class LoggedInRequest(HttpRequest):
    """A request that @login_required let through: its user is a User (django-stubs' pattern)."""

    user: User


@login_required
def account_view(request: LoggedInRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("organisation", "unit").order_by("organisation__name")
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    return render(
        request,
        "accounts/account.html",
        {
            "memberships": memberships,
            "has_device": has_device,
            "needs_device": policy.requires_second_factor(request.user),
            "may_manage_keys": policy.can(request.user, "accounts.manage_api_keys"),
        },
    )


@login_required
def api_keys_view(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "accounts.manage_api_keys")
    organisations = Organisation.objects.visible_to(request.user, "accounts.manage_api_keys")
    form = ApiKeyForm(request.POST or None, organisations=organisations, user=request.user)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            key, new_key = services.api_key_create(
                organisation=form.cleaned_data["organisation"],
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                by=policy.actor_of(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = ApiKeyForm(organisations=organisations, user=request.user)
    keys = ApiKey.objects.visible_to(request.user, "accounts.manage_api_keys").select_related(
        "organisation", "created_by"
    )
    return render(request, "accounts/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, "accounts.manage_api_keys")
    key = ApiKey.objects.visible_to(request.user, "accounts.manage_api_keys").get_or_404(pk=pk)
    services.api_key_revoke(api_key=key, by=policy.actor_of(request))
    messages.success(request, _("The key %(prefix)s has been revoked.") % {"prefix": key.prefix})
    return redirect("accounts:api_keys")


@login_required
def notifications_view(request: LoggedInRequest) -> HttpResponse:
    notifications = list(request.user.notifications.all()[:100])
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("accounts:notifications")
    return render(request, "accounts/notifications.html", {"notifications": notifications})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page for the new password; what follows a reset is recorded by the service."""

    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_completed(user=form.user)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, rate-limited per client address and per e-mail address. A limited
    request sends nothing but gets the same answer as any other, so the page tells no one
    whether an address has an account or was limited."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form):
        allowed = ratelimits.allow(
            "password_reset_ip", client_ip(self.request), limit=settings.PASSWORD_RESET_LIMIT_PER_IP
        ) and ratelimits.allow(
            "password_reset_email", form.cleaned_data["email"], limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
        )
        if not allowed:
            logger.warning("Password reset not sent: over the hourly limit (request %s)", self.request.request_id)
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
