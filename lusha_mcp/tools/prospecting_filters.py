"""Typed prospecting arguments mapped onto Lusha's nested include/exclude filters.

Bands ("51-200", "1M-10M", "10001+") become {min, max} ranges; seniority, department and
industry names are checked against the free filter-values endpoints and turned into the ids
Lusha expects, so a typo comes back as an argument error before anything is quoted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import Field

from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models.base import LushaRequest
from lusha_mcp.tools.framework import ArgumentError

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


def closest(value: str, names: Sequence[str], count: int = 5) -> list[str]:
    """The names most like `value` (difflib, case-insensitive), best first; none when nothing is close."""
    by_lower = {name.lower(): name for name in names}
    found = difflib.get_close_matches(value.strip().lower(), list(by_lower), n=count, cutoff=0.4)
    contained = [low for low in by_lower if value.strip().lower() in low or low in value.strip().lower()]
    return [by_lower[low] for low in dict.fromkeys([*found, *contained])][:count]


def suggestion(value: str, names: Sequence[str]) -> str:
    """'closest: A, B; all: A, B, C' for an unknown value."""
    near = closest(value, names)
    listed = ", ".join(names)
    return f"closest: {', '.join(near)}; all: {listed}" if near else f"one of: {listed}"


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
            raise ArgumentError(field, f"unknown signal type {value!r}", suggestion(value, accepted))
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
                names = [label.rsplit(" (", 1)[0] for label in labels]
                near = closest(value, names)
                raise ArgumentError(
                    field,
                    f"unknown seniority {value!r}",
                    (f"closest: {', '.join(near)}; " if near else "") + "names or ids: " + ", ".join(labels),
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
                raise ArgumentError(field, f"unknown department {value!r}", suggestion(value, names))
            chosen.append(name)
        return list(dict.fromkeys(chosen))

    async def industries(self, field: str, values: Sequence[str] | None) -> Criteria:
        """{mainIndustriesIds, subIndustriesIds} for industry or sub-industry names."""
        if not values:
            return {}
        main: dict[str, int] = {}
        sub: dict[str, int] = {}
        labels: list[str] = []
        parents: dict[str, str] = {}
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
                        parents[str(sub_item["value"])] = str(item.get("value"))
        main_ids: list[int] = []
        sub_ids: list[int] = []
        for value in values:
            name = value.strip().lower()
            if name in main:
                main_ids.append(main[name])
            elif name in sub:
                sub_ids.append(sub[name])
            else:
                near_main = closest(value, labels, 3)
                near_sub = [f"{name} (in {parents[name]})" for name in closest(value, list(parents), 3)]
                near = ", ".join([*near_main, *near_sub])
                raise ArgumentError(
                    field,
                    f"unknown industry {value!r}",
                    (f"closest industries and sub-industries: {near}; " if near else "")
                    + "names from list_filter_values(scope='companies', filter_type='industriesLabels'): "
                    + ", ".join(labels),
                )
        return {
            "mainIndustriesIds": list(dict.fromkeys(main_ids)) or None,
            "subIndustriesIds": list(dict.fromkeys(sub_ids)) or None,
        }


def technologies_condition(technologies: Sequence[str] | None, require_all: bool) -> str | None:
    return ("and" if require_all else "or") if technologies else None
