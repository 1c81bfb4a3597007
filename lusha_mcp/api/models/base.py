"""Shared building blocks of the request and response models."""

from __future__ import annotations

import datetime as dt
import logging
import re
from contextvars import ContextVar
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from lusha_mcp.api.errors import InvalidRequestError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _check_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address; send one like name@company.com")
    return value


def _check_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an absolute URL; send one like https://hooks.example.com/lusha")
    return value


def _check_domain(value: str) -> str:
    value = value.strip().lower()
    if not value or " " in value or "." not in value:
        raise ValueError(f"{value!r} is not a domain; send one like lusha.com")
    return value


def _check_id(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("ids must not be blank; send the Lusha id as returned by search")
    return value


LushaId = Annotated[str, AfterValidator(_check_id)]
"""A Lusha contact or company id (non-blank)."""

Email = Annotated[str, AfterValidator(_check_email)]
"""An email address (checked for shape, not deliverability)."""

WebUrl = Annotated[str, AfterValidator(_check_url), Field(max_length=2048)]
"""An absolute http(s) URL."""

Domain = Annotated[str, AfterValidator(_check_domain)]
"""A bare domain such as lusha.com."""


class LushaModel(BaseModel):
    """A response model: snake_case attributes, camelCase on the wire, unknown fields kept
    (previews shown to the model pass through `known_fields`, which drops them)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", defer_build=True
    )


logger = logging.getLogger(__name__)
_reported_unknown: set[tuple[str, str]] = set()
ModelT = TypeVar("ModelT", bound=BaseModel)


def known_fields(model: ModelT) -> ModelT:
    """A copy of `model` with only the fields its class declares, recursively: a field Lusha
    added (or an answer that slipped emails or phones into a preview) never reaches the model.
    Each dropped field name is logged once at debug level, never its value."""
    return cast(ModelT, _known(model))


def _known(value: Any) -> Any:
    if isinstance(value, BaseModel):
        kind = type(value)
        for name in value.model_extra or {}:
            if (kind.__name__, name) not in _reported_unknown:
                _reported_unknown.add((kind.__name__, name))
                logger.debug("Dropped field %r, unknown to %s, from a preview", name, kind.__name__)
        fields = {name: _known(getattr(value, name)) for name in kind.model_fields}
        return kind.model_construct(_fields_set=set(value.model_fields_set) & set(fields), **fields)
    if isinstance(value, list):
        return [_known(item) for item in cast(list[Any], value)]
    if isinstance(value, dict):
        return {key: _known(item) for key, item in cast(dict[Any, Any], value).items()}
    return value


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "request"


def invalid_request_from(exc: ValidationError, model_name: str) -> InvalidRequestError:
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        where = _location(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    first_loc = exc.errors(include_url=False)[0]["loc"] if exc.error_count() else ()
    field = _location(first_loc) if first_loc else None
    summary = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    return InvalidRequestError(
        f"Invalid {model_name}: {summary}. Nothing was sent to Lusha.", field=field, problems=problems
    )


_validating: ContextVar[bool] = ContextVar("lusha_request_validating", default=False)


class LushaRequest(BaseModel):
    """A request model: validated before sending; bad input raises InvalidRequestError."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        hide_input_in_errors=True,
        defer_build=True,
    )

    def __init__(self, /, **data: Any) -> None:
        if _validating.get():
            super().__init__(**data)
            return
        token = _validating.set(True)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            error = invalid_request_from(exc, type(self).__name__)
        else:
            return
        finally:
            _validating.reset(token)
        raise error

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: Any = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        token = _validating.set(True)
        try:
            return super().model_validate(
                obj,
                strict=strict,
                extra=extra,
                from_attributes=from_attributes,
                context=context,
                by_alias=by_alias,
                by_name=by_name,
            )
        except ValidationError as exc:
            error = invalid_request_from(exc, cls.__name__)
        finally:
            _validating.reset(token)
        raise error

    def to_wire(self) -> dict[str, Any]:
        """The JSON body Lusha expects (camelCase, unset fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ItemIdentifiers(LushaRequest):
    """One contact or company of a bulk lookup: your own reference id (echoed in the result), the
    Lusha id, and the other identifiers a subclass adds; at least one identifier is required.

    A subclass names what identifies it in `identified()` and what to send in `missing`.
    """

    missing: ClassVar[str] = "an item needs one identifier: id"

    client_reference_id: str | None = Field(default=None, description="Your own id, echoed in the result.")
    id: str | None = None

    def identified(self) -> bool:
        return bool(self.id)

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if not self.identified():
            raise ValueError(self.missing)
        return self


SignalTypeT = TypeVar("SignalTypeT", bound=str)


class SignalWindow(LushaRequest):
    """Which signals to return: since when (default: Lusha's window), and how many per type."""

    start_date: dt.date | None = None
    max_results_per_signal: int | None = Field(default=None, ge=1, le=100)


class SignalsOptions(SignalWindow, Generic[SignalTypeT]):
    """Signals to attach to each search result (contact or company signal types)."""

    types: list[SignalTypeT] = Field(min_length=1)


class IdsRequest(LushaRequest):
    """Lusha ids of contacts or companies; more than 100 are split into batches by the client."""

    ids: list[LushaId] = Field(min_length=1)


class SignalsRequest(IdsRequest, SignalWindow, Generic[SignalTypeT]):
    """Signals of contacts or companies by Lusha id; more than 100 ids are split into batches."""

    signal_types: list[SignalTypeT] = Field(min_length=1)


class Billing(LushaModel):
    """What a metered call cost."""

    credits_charged: int = 0
    results_returned: int = 0

    def __add__(self, other: Billing) -> Billing:
        return Billing(
            credits_charged=self.credits_charged + other.credits_charged,
            results_returned=self.results_returned + other.results_returned,
        )


class ItemError(LushaModel):
    """Why one item of a bulk request has no result (NOT_FOUND, COMPLIANCE_RESTRICTED, ENRICH_FAILED, NO_SCORE...)."""

    code: str
    message: str | None = None


class CanReveal(LushaModel):
    """A field that enrichment can reveal and what it would cost (0 = already revealed)."""

    field: str
    credits: int | None = None


class Pagination(LushaModel):
    page: int | None = None
    size: int | None = None
    total: int | None = None


class PageRequest(LushaRequest):
    """Page of a prospecting result: page 0-1000, size 10-100 per the spec."""

    page: int = Field(default=0, ge=0, le=1000)
    size: int = Field(default=25, ge=10, le=100)


class Range(LushaRequest):
    min: int | None = Field(default=None, ge=0)
    max: int | None = None


class LushaResponse(LushaModel):
    """A response of a Lusha call; `request_id` when Lusha gave one."""

    request_id: str | None = None


class MeteredResponse(LushaResponse):
    billing: Billing | None = None
    request_ids: list[str] = Field(
        default_factory=list[str], description="requestId of every batch when the client split the call."
    )


class JobTitle(LushaModel):
    title: str | None = None
    departments: list[str] = Field(default_factory=list[str])
    seniority: str | None = None


class CompanyRef(LushaModel):
    id: str | None = None
    name: str | None = None
    domain: str | None = None


class PlaceSummary(LushaModel):
    country: str | None = None
    country_iso2: str | None = None
    state: str | None = None
    city: str | None = None
    continent: str | None = None


class SocialLinks(LushaModel):
    linkedin: str | None = None


class EmployeeCount(LushaModel):
    exact: int | None = None
    min: int | None = None
    max: int | None = None
