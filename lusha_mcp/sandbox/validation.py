"""JSON body parsing and field validation that answers Lusha's 400 envelope.

    body = await read_json_object(request)
    fields = FieldCheck()
    items = fields.array(body, "contacts", required=True, max_items=100)
    for i, item in enumerate(fields.objects(items, at="contacts")):
        fields.string(item, "email", at=f"contacts[{i}]")
    fields.raise_if_any()          # 400 {statusCode, message, errors: ["contacts[0].email: ..."]}

Every problem is reported with the field path first, so a caller sees what to fix.
This is the imperative checker of the domains not yet moved to the declarative request models of
lusha_mcp/sandbox/wire.py (`await parse_body(request, Model)`); new code declares models there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.wire import JsonObject
from lusha_mcp.sandbox.wire import read_json_object as read_json_object
from lusha_mcp.sandbox.wire import type_name as _type_name


class FieldCheck:
    """Collects field problems of one request; `raise_if_any()` answers them all in one 400."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def raise_if_any(self, message: str = "Validation failed") -> None:
        if self.errors:
            bad_request(self.errors, message)

    @staticmethod
    def path(at: str, key: str) -> str:
        return f"{at}.{key}" if at else key

    def _get(self, obj: JsonObject, key: str, at: str, required: bool) -> Any:
        value = obj.get(key)
        if value is None and required:
            self.fail(self.path(at, key), "is required")
        return value

    def string(
        self,
        obj: JsonObject,
        key: str,
        *,
        at: str = "",
        required: bool = False,
        choices: Iterable[str] | None = None,
        max_length: int | None = None,
        non_empty: bool = True,
    ) -> str | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        path = self.path(at, key)
        if not isinstance(value, str):
            self.fail(path, f"must be a string, got {_type_name(value)}")
            return None
        if non_empty and not value.strip():
            self.fail(path, "must not be empty")
            return None
        if max_length is not None and len(value) > max_length:
            self.fail(path, f"must be at most {max_length} characters")
            return None
        if choices is not None:
            allowed = list(choices)
            if value not in allowed:
                self.fail(path, f"must be one of: {', '.join(allowed)}")
                return None
        return value

    def integer(
        self,
        obj: JsonObject,
        key: str,
        *,
        at: str = "",
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        path = self.path(at, key)
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            self.fail(path, f"must be an integer, got {_type_name(value)}")
            return None
        number = int(value)
        if minimum is not None and number < minimum:
            self.fail(path, f"must be at least {minimum}")
            return None
        if maximum is not None and number > maximum:
            self.fail(path, f"must be at most {maximum}")
            return None
        return number

    def number(self, obj: JsonObject, key: str, *, at: str = "", required: bool = False) -> float | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(self.path(at, key), f"must be a number, got {_type_name(value)}")
            return None
        return float(value)

    def boolean(self, obj: JsonObject, key: str, *, at: str = "", required: bool = False) -> bool | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.fail(self.path(at, key), f"must be true or false, got {_type_name(value)}")
            return None
        return value

    def obj(self, obj: JsonObject, key: str, *, at: str = "", required: bool = False) -> JsonObject | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(self.path(at, key), f"must be an object, got {_type_name(value)}")
            return None
        return cast(JsonObject, value)

    def array(
        self,
        obj: JsonObject,
        key: str,
        *,
        at: str = "",
        required: bool = False,
        min_items: int = 0,
        max_items: int | None = None,
    ) -> list[Any] | None:
        value = self._get(obj, key, at, required)
        if value is None:
            return None
        path = self.path(at, key)
        if not isinstance(value, list):
            self.fail(path, f"must be an array, got {_type_name(value)}")
            return None
        items = cast(list[Any], value)
        if len(items) < min_items:
            self.fail(path, f"must contain at least {min_items} item{'s' if min_items != 1 else ''}")
            return None
        if max_items is not None and len(items) > max_items:
            self.fail(path, f"must contain at most {max_items} items, got {len(items)}; split the request")
            return None
        return items

    def strings(
        self,
        obj: JsonObject,
        key: str,
        *,
        at: str = "",
        required: bool = False,
        min_items: int = 0,
        max_items: int | None = None,
        choices: Sequence[str] | None = None,
    ) -> list[str] | None:
        items = self.array(obj, key, at=at, required=required, min_items=min_items, max_items=max_items)
        if items is None:
            return None
        path = self.path(at, key)
        result: list[str] = []
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{path}[{index}]", "must be a non-empty string")
                continue
            if choices is not None and item not in choices:
                self.fail(f"{path}[{index}]", f"must be one of: {', '.join(choices)}")
                continue
            result.append(item)
        return result

    def objects(self, items: list[Any] | None, *, at: str) -> list[tuple[int, JsonObject]]:
        """The object items of an array with their index; non-objects are reported."""
        if items is None:
            return []
        result: list[tuple[int, JsonObject]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                self.fail(f"{at}[{index}]", f"must be an object, got {_type_name(item)}")
                continue
            result.append((index, cast(JsonObject, item)))
        return result

    def unknown_keys(self, obj: JsonObject, allowed: Iterable[str], *, at: str = "") -> None:
        known = set(allowed)
        for key in obj:
            if key not in known:
                self.fail(
                    self.path(at, key), f"is not a known field; expected one of: {', '.join(sorted(known))}"
                )
