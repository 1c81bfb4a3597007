"""Typed prospecting arguments mapped onto Lusha's nested include/exclude filters.

Bands ("51-200", "1M-10M", "10001+") become {min, max} ranges; seniority, department and
industry names are checked against the free filter-values endpoints and turned into the ids
Lusha expects, so a typo comes back as an argument error before anything is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import Field

from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models.base import LushaRequest
from lusha_mcp.tools.errors import ArgumentError

DataPoint = Literal[
    "work_email", "private_email", "email", "work_phone", "direct_phone", "mobile_phone", "phone"
]

Names = list[str] | None
TitlesArg = Annotated[Names, Field(description="Title keywords, e.g. VP Sales.")]
SeniorityArg = Annotated[Names, Field(description="Seniority names or ids.")]
DepartmentsArg = Annotated[Names, Field(description="Department names.")]
CountriesArg = Annotated[Names, Field(description="ISO2 country codes.")]
DomainsArg = Annotated[Names, Field(description="e.g. lusha.com")]
SizesArg = Annotated[Names, Field(description='Employees, e.g. "51-200", "10001+".')]
RevenuesArg = Annotated[Names, Field(description='USD, e.g. "1M-10M", "1B+".')]
IndustriesArg = Annotated[Names, Field(description="Industry or sub-industry names.")]
TechnologiesArg = Annotated[Names, Field(description="e.g. Salesforce")]
AllTechnologiesArg = Annotated[bool, Field(description="Require every technology, not any.")]
SearchTextArg = Annotated[str | None, Field(description="Free text.", max_length=200)]
ExcludeArg = Annotated[Names, Field(description="Exclude these.")]
RawFiltersArg = Annotated[
    dict[str, Any] | None, Field(description="Raw Lusha filters for anything else, merged in.")
]

_BAND = re.compile(r"^\s*([\d.,]+)\s*([kmb]?)\s*(?:(\+)|-\s*([\d.,]+)\s*([kmb]?))\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_ISO2 = re.compile(r"^[A-Za-z]{2}$")

Criteria = dict[str, Any]
R = TypeVar("R", bound=LushaRequest)


def checked_request(request_type: type[R], body: Criteria) -> R:
    """The request model, or an argument error blaming raw_filters (typed arguments always validate)."""
    try:
        return request_type.model_validate(body)
    except InvalidRequestError as exc:
        raise ArgumentError(
            "raw_filters",
            "; ".join(problem.removeprefix("request: ") for problem in exc.problems),
            'criteria in Lusha\'s filter shape, e.g. {"contacts":{"include":{"skills":["Python"]}}}',
        ) from None


def _amount(number: str, suffix: str) -> int:
    return round(float(number.replace(",", "")) * _SCALE[suffix.lower()])


def bands(field: str, values: Sequence[str] | None, example: str) -> list[dict[str, int]] | None:
    """'51-200' -> {min: 51, max: 200}; '10001+' -> {min: 10001}; K/M/B suffixes scale."""
    if not values:
        return None
    ranges: list[dict[str, int]] = []
    for value in values:
        found = _BAND.match(value)
        try:
            if found is None:
                raise ValueError(value)
            low = _amount(found[1], found[2])
            band = {"min": low} if found[3] else {"min": low, "max": _amount(found[4], found[5])}
        except ValueError:
            raise ArgumentError(
                field, f"{value!r} is not a band", f'bands like "{example}" or "min+"'
            ) from None
        if band.get("max", low) < low:
            raise ArgumentError(field, f"{value!r} ends below its start", f'bands like "{example}"')
        ranges.append(band)
    return ranges


def country_codes(field: str, values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    for value in values:
        if not _ISO2.match(value.strip()):
            raise ArgumentError(field, f"{value!r} is not a country code", 'ISO2 codes such as "US", "DE"')
    return [value.strip().upper() for value in values]


def signal_types(field: str, values: Sequence[str], accepted: Sequence[str]) -> list[str]:
    known = {name.lower(): name for name in accepted}
    chosen: list[str] = []
    for value in values:
        name = known.get(value.strip().lower())
        if name is None:
            raise ArgumentError(field, f"unknown signal type {value!r}", "one of: " + ", ".join(accepted))
        chosen.append(name)
    return list(dict.fromkeys(chosen))


def company_locations(field: str, values: Sequence[str] | None) -> list[dict[str, str]] | None:
    codes = country_codes(field, values)
    return [{"countryIso2": code} for code in codes] if codes else None


def merge(base: Criteria, extra: Mapping[str, Any]) -> Criteria:
    """Deep-merge raw filters into the built ones; on a conflict the raw value wins."""
    merged = dict(base)
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = merge(cast(Criteria, current), cast(Mapping[str, Any], value))
        else:
            merged[key] = value
    return merged


def prune(criteria: Criteria) -> Criteria:
    """Drop unset criteria and groups left empty."""
    kept: Criteria = {}
    for key, value in criteria.items():
        if isinstance(value, dict):
            value = prune(cast(Criteria, value))
        if value is not None and value != {}:
            kept[key] = value
    return kept


class FilterVocabulary:
    """Names accepted by the seniority, department and industry filters, fetched once per call (free)."""

    def __init__(self, client: LushaClient) -> None:
        self._client = client
        self._values: dict[str, list[Any]] = {}

    async def _fetch(self, scope: Literal["contacts", "companies"], filter_type: str) -> list[Any]:
        key = f"{scope}.{filter_type}"
        if key not in self._values:
            if scope == "contacts":
                found = await self._client.prospecting.contact_filter_values(filter_type)
            else:
                found = await self._client.prospecting.company_filter_values(filter_type)
            values = found.values
            self._values[key] = cast(list[Any], values) if isinstance(values, list) else []
        return self._values[key]

    async def seniority_ids(self, field: str, values: Sequence[str] | None) -> list[int] | None:
        if not values:
            return None
        known: dict[str, int] = {}
        labels: list[str] = []
        for entry in await self._fetch("contacts", "seniority"):
            if isinstance(entry, dict):
                item = cast(dict[str, Any], entry)
                sid, name = item.get("id"), item.get("value") or item.get("name")
                if isinstance(sid, int) and isinstance(name, str):
                    known[str(sid)] = known[name.lower()] = sid
                    labels.append(f"{name} ({sid})")
        ids: list[int] = []
        for value in values:
            sid = known.get(value.strip().lower())
            if sid is None:
                raise ArgumentError(
                    field, f"unknown seniority {value!r}", "names or ids: " + ", ".join(labels)
                )
            ids.append(sid)
        return list(dict.fromkeys(ids))

    async def departments(self, field: str, values: Sequence[str] | None) -> list[str] | None:
        if not values:
            return None
        names = [entry for entry in await self._fetch("contacts", "departments") if isinstance(entry, str)]
        known = {name.lower(): name for name in names}
        chosen: list[str] = []
        for value in values:
            name = known.get(value.strip().lower())
            if name is None:
                raise ArgumentError(field, f"unknown department {value!r}", "one of: " + ", ".join(names))
            chosen.append(name)
        return list(dict.fromkeys(chosen))

    async def industries(self, field: str, values: Sequence[str] | None) -> Criteria:
        """{mainIndustriesIds, subIndustriesIds} for industry or sub-industry names."""
        if not values:
            return {}
        main: dict[str, int] = {}
        sub: dict[str, int] = {}
        labels: list[str] = []
        for entry in await self._fetch("companies", "industriesLabels"):
            if not isinstance(entry, dict):
                continue
            item = cast(dict[str, Any], entry)
            if isinstance(item.get("id"), int) and isinstance(item.get("value"), str):
                main[str(item["value"]).lower()] = int(item["id"])
                labels.append(str(item["value"]))
            for child in cast(list[Any], item.get("subIndustries") or []):
                if isinstance(child, dict):
                    sub_item = cast(dict[str, Any], child)
                    if isinstance(sub_item.get("id"), int) and isinstance(sub_item.get("value"), str):
                        sub[str(sub_item["value"]).lower()] = int(sub_item["id"])
        main_ids: list[int] = []
        sub_ids: list[int] = []
        for value in values:
            name = value.strip().lower()
            if name in main:
                main_ids.append(main[name])
            elif name in sub:
                sub_ids.append(sub[name])
            else:
                raise ArgumentError(
                    field,
                    f"unknown industry {value!r}",
                    "industry or sub-industry names from list_filter_values(scope='companies', "
                    "filter_type='industriesLabels'), e.g. " + ", ".join(labels[:6]),
                )
        return {
            "mainIndustriesIds": list(dict.fromkeys(main_ids)) or None,
            "subIndustriesIds": list(dict.fromkeys(sub_ids)) or None,
        }


def technologies_condition(technologies: Sequence[str] | None, require_all: bool) -> str | None:
    return ("and" if require_all else "or") if technologies else None
