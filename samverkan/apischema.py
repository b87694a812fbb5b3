"""What the API's schemas are built from, so that they carry the models' limits and every operation
documents the errors it can answer (samverkan/api.py turns each error into that JSON).

Field types, derived from the models rather than repeated. A type built by a call is no type to
mypy, so each of these is the metadata of an `Annotated` whose first argument is the plain type
mypy checks (`As` makes pydantic validate and document the field as the built type):

- `Annotated[str, text(Model, "field")]`: a string no longer than the model's column (max_length);
- `Annotated[str, choice(Model, "field")]`: one of the field's choices (and "" where the field may
  be blank); `Annotated[str, one_of("a", "b")]` for a list of values of one's own;
- `Annotated[int, count(Model, "field")]`: a whole number within the column's range (never
  negative for a positive field);
- `Annotated[Item | list[Item], one_or_many(Item, maximum)]`: one item or a list of them;
- `Id`: a database key, 1 … 2⁶³ − 1; `Date`, `DateTime`: within samverkan.limits' years.

A body holding a NUL character or a lone surrogate never reaches a schema: samverkan/api.py's
parser refuses it (neither can be stored in PostgreSQL)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, Discriminator, GetCoreSchemaHandler, Tag
from pydantic_core import CoreSchema

from samverkan import limits

Id = Annotated[int, Field(ge=1, le=limits.MAX_ID)]


def _within_range(value: datetime.date) -> datetime.date:
    if not limits.date_in_range(value):
        raise ValueError(limits.date_range_message())
    return value


Date = Annotated[datetime.date, AfterValidator(_within_range)]
DateTime = Annotated[datetime.datetime, AfterValidator(_within_range)]


@dataclass(frozen=True)
class As:
    """`Annotated` metadata: pydantic validates and documents the field as `annotation`, a type
    built at import time (see the module's docstring)."""

    annotation: Any

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler.generate_schema(self.annotation)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is a relation, not a column")
    return field


def max_length(model: type[models.Model], name: str) -> int:
    length = _field(model, name).max_length
    if length is None:
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length


def text(model: type[models.Model], name: str) -> As:
    """A string that fits the model field's column."""
    return As(Annotated[str, Field(max_length=max_length(model, name))])


def one_of(*values: object) -> As:
    """One of `values`."""
    return As(Literal[values])


def choice(model: type[models.Model], name: str) -> As:
    """One of the model field's choices; "" too when the field may be blank."""
    field = _field(model, name)
    values = [value for value, _label in field.flatchoices]
    return one_of(*(["", *values] if field.blank else values))


def count(model: type[models.Model], name: str) -> As:
    """A whole number within the range of the model field's column (e.g. 0 … 2 147 483 647)."""
    lowest, highest = BaseDatabaseOperations.integer_field_ranges[_field(model, name).get_internal_type()]
    return As(Annotated[int, Field(ge=lowest, le=highest)])


_ONE, _MANY = "one", "list"  # the tags of one_or_many's union: not part of an error's field path


def _one_or_many_tag(value: object) -> str:
    return _MANY if isinstance(value, list) else _ONE


def one_or_many(item: type[Schema], maximum: int) -> As:
    """A body that is one `item` or a list of 1 … `maximum` of them. Errors name the field as
    `field` for one, `index.field` for a list (see field_errors)."""
    many = Annotated[list[item], Field(min_length=1, max_length=maximum), Tag(_MANY)]  # type: ignore[valid-type]  # item is a class given at import time
    return As(Annotated[Annotated[item, Tag(_ONE)] | many, Discriminator(_one_or_many_tag)])


def field_errors(problems: list[dict]) -> dict[str, list[str]]:
    """django-ninja's (pydantic's) errors as messages per field path: ("body", "payload",
    "episodes", 3, "source_id") → "episodes.3.source_id"; a parameter by its name. Never the value
    itself (it may hold what must not be repeated, such as a personnummer)."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        where, *path = problem["loc"]
        if where == "body" and path:
            path = [part for part in path[1:] if part not in (_ONE, _MANY)]  # no parameter name, no union tag
        if problem["type"] == "too_long" and problem.get("ctx", {}).get("field_type") == "List":
            message = _("At most %(maximum)s items per call, not %(count)s: send the rest in further calls.") % {
                "maximum": problem["ctx"]["max_length"],
                "count": problem["ctx"]["actual_length"],
            }
        else:
            message = str(problem["msg"]).removeprefix("Value error, ")
        found.setdefault(".".join(str(part) for part in path) or where, []).append(message)
    return found


# Codes that many operations take: a county's ("20"; "SE" for the country where offered) and a
# municipality's SCB code ("2080").
# SCB's codes: two characters for a county ("SE" too, the whole country), four digits for a
# municipality (organisations.models.County.code and Municipality.code hold exactly these).
CountyCode = Annotated[str, Field(max_length=2)]
MunicipalityCode = Annotated[str, Field(max_length=4)]


class Error(Schema):
    """Every error the API answers."""

    detail: str | dict[str, list[str]] = Field(
        description="What is wrong: a message, or for invalid input the messages per field, keyed by the "
        "field's path (`index.field` in a list, e.g. `0.physical` or `episodes.3.source_id`)."
    )


# What any operation can answer: a request that cannot be read (400: e.g. a NUL character in the
# address, or a body that is not JSON), no or an unknown key (401), a role that may not (403),
# invalid parameters or body (422), too many requests (429, with Retry-After; samverkan/apiauth.py).
ALWAYS = (400, 401, 403, 422, 429)
# What an operation that reads a JSON body can answer too: a body larger than the server takes.
BODY = (413,)


def responses(answers: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's `response=` mapping: its own answers, the errors of ALWAYS, and `errors`
    (e.g. BODY, 404, 409), each of them an `Error` unless `answers` gives its own schema."""
    return {**dict.fromkeys(sorted({*ALWAYS, *errors}), Error), **answers}
