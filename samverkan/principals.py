"""Who acts: the one type of the actor every service takes as `by` (docs/architecture.md, "Types").

A `Principal` is a person who logs in (accounts' `User`), a system acting through an API key
(accounts' `ApiKey`) or the platform itself (`SYSTEM`). They are described as protocols here, in
the foundation below every app, so that audit (the lowest app) and the policy can name them
without importing accounts. `organisations.policy` re-exports them: `policy.Principal`.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias, runtime_checkable

from django.contrib.auth.models import AnonymousUser


class OrganisationLike(Protocol):
    """What the policy reads of an organisation (organisations.Organisation)."""

    @property
    def pk(self) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def county_id(self) -> str: ...
    @property
    def municipality_id(self) -> str | None: ...
    @property
    def is_active(self) -> bool: ...


class MembershipLike(Protocol):
    """What the policy reads of a membership (organisations.Membership)."""

    @property
    def organisation(self) -> OrganisationLike: ...
    @property
    def role(self) -> str: ...
    @property
    def unit_id(self) -> int | None: ...


@runtime_checkable
class Person(Protocol):
    """A person who logs in (accounts.User)."""

    @property
    def pk(self) -> Any: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_superuser(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def memberships(self) -> Any: ...


@runtime_checkable
class ActingKey(Protocol):
    """A system acting for one organisation with one role (accounts.ApiKey)."""

    @property
    def pk(self) -> Any: ...
    @property
    def role(self) -> str: ...
    @property
    def organisation(self) -> OrganisationLike: ...
    @property
    def is_usable(self) -> bool: ...
    @property
    def prefix(self) -> str: ...
    @property
    def name(self) -> str: ...


class SystemPrincipal:
    """Background work acting for the platform itself (reminders, expiry, imports run by a worker)."""

    pk = None
    is_authenticated = False

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemPrincipal()

# Who acts: every service takes one as `by`.
Principal: TypeAlias = Person | ActingKey | SystemPrincipal
# Who asks: a principal, an anonymous visitor, or nobody (None).
Asker: TypeAlias = Principal | AnonymousUser | None
