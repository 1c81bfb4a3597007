"""Declarative request validation for the sandbox: pydantic models in, Lusha's 400 envelope out.

How a domain declares a request
-------------------------------
Declare the body (or query string) as a `WireModel`; fields are snake_case and travel as camelCase
(`client_reference_id` is `clientReferenceId` on the wire; give `Field(alias=...)` where the
wire name is not the camelCase of the field). Unknown fields are refused, types are strict
(`"5"` is not an integer, `0` is not a boolean), `null` counts as absent:

    class ContactItem(WireModel):
        id: Text | None = None                            # Text: a string that is not blank
        email: Text | None = None

        @model_validator(mode="after")
        def _one_identifier(self) -> Self:               # cross-field rules raise problem(...)
            if not (self.id or self.email):
                raise problem("needs one identifier: id or email")
            return self

    class EnrichRequest(WireModel):
        ids: Annotated[list[Text], Field(min_length=1, max_length=100)]   # required
        reveal: list[Annotated[str, OneOf(("emails", "phones"))]] | None = None
        table_id: Annotated[None, Refuse("tables are not available in the sandbox")] = None

    async def enrich(request: Request) -> Response:
        body = await parse_body(request, EnrichRequest)   # 400 listing every problem, or the model
        ...

Query strings: `parse_query(request, Model)` with a `QueryModel` (values arrive as text, so
`?page=2` is the integer 2; unknown parameters are refused too; a list field takes every value
of a repeated parameter, any other parameter is sent once).

The building blocks: `Text` (not blank), `Int` (5.0 counts), `Email`, `IsoDate` (YYYY-MM-DD to a
date), `OneOf(choices)`, `Refuse(message)` / `Unsupported` (documented fields the sandbox does not
emulate: known, and refused rather than ignored), and pydantic's own `Field(min_length=...,
max_length=..., ge=..., le=...)` for limits; `validate(Model, data)` checks data already parsed.

Every problem of a request is answered at once, in the envelope of `sandbox/errors.py`:
`{"statusCode": 400, "message": "Validation failed", "errors": ["contacts[1].email: must be a
string, got number", ...]}`, each entry "field.path: problem", so a caller sees what to fix.
`problem(message, at="page")` reports a rule of a model at one of its fields (`pagination.page`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from types import NoneType, UnionType
from typing import Annotated, Any, TypeVar, Union, cast, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    PlainValidator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema
from starlette.requests import Request

from lusha_mcp.sandbox.errors import bad_request

JsonObject = dict[str, Any]
Model = TypeVar("Model", bound=BaseModel)

PROBLEM = "sandbox_problem"
"""The error type of `problem(...)`: its message is reported as it is."""


class WireModel(BaseModel):
    """A request body (or part of one) as Lusha's wire spells it: camelCase, strict, closed."""

    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel, frozen=True)


class QueryModel(WireModel):
    """A query string: values arrive as text, so they are converted (`?page=2` is 2)."""

    model_config = ConfigDict(strict=False)


def problem(message: str, *, at: str | None = None) -> PydanticCustomError:
    """A problem found by a validator, reported as `path: message` (`at` appends a field to the path)."""
    return PydanticCustomError(PROBLEM, "{problem}", {"problem": message, "at": at})


def _not_blank(value: str) -> str:
    if not value.strip():
        raise problem("must not be empty")
    return value


def _integral(value: object) -> object:
    """5.0 is the integer 5 (JSON does not tell them apart); 5.5 stays a number and is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
"""A string that is not blank (`""` or spaces answer "must not be empty")."""
Int = Annotated[int, BeforeValidator(_integral)]
"""An integer; `5.0` counts, `5.5`, `"5"` and `true` do not."""


def _iso_date(value: object) -> date:
    if not isinstance(value, str):
        raise problem(f"must be a date as YYYY-MM-DD, got {type_name(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise problem(f"must be a date as YYYY-MM-DD, got '{value}'") from None


def _email(value: str) -> str:
    if "@" not in value or "." not in value.rsplit("@", 1)[-1]:
        raise problem(f"'{value}' is not a valid email address")
    return value


IsoDate = Annotated[date, PlainValidator(_iso_date)]
"""A calendar date sent as YYYY-MM-DD text."""
Email = Annotated[Text, AfterValidator(_email)]
"""A non-blank string that looks like an email address (something@domain.tld)."""


@dataclass(frozen=True, slots=True)
class OneOf:
    """`Annotated[str, OneOf(choices)]`: one of a fixed vocabulary (computed ones too, unlike Literal)."""

    choices: tuple[str, ...]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def _check(self, value: str) -> str:
        if value not in self.choices:
            raise problem(f"must be one of: {', '.join(self.choices)}")
        return value


@dataclass(frozen=True, slots=True)
class Refuse:
    """A documented field the sandbox does not emulate: any value but null is refused with `message`."""

    message: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self._check)

    def _check(self, value: object) -> None:
        if value is not None:
            raise problem(self.message)


UNSUPPORTED = "is not supported by the sandbox; remove it or use another filter"
Unsupported = Annotated[None, Refuse(UNSUPPORTED)]
"""A documented filter the sandbox refuses (declare it `= None`, so it is known but never ignored)."""


# --- parsing -------------------------------------------------------------------------------


async def read_json_object(request: Request, *, allow_empty: bool = False) -> JsonObject:
    """The request body as a JSON object, or 400 saying what was wrong with it."""
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        bad_request(["body: a JSON object is required"], "Request body is missing")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        bad_request([f"body: not valid JSON ({exc.msg})"], "Malformed JSON body")
    except UnicodeDecodeError:
        bad_request(["body: not valid JSON (bad encoding)"], "Malformed JSON body")
    if not isinstance(value, dict):
        bad_request(["body: must be a JSON object"], "Request body must be a JSON object")
    return cast(JsonObject, value)


async def parse_body(
    request: Request, model: type[Model], *, allow_empty: bool = False, message: str = "Validation failed"
) -> Model:
    """The body validated as `model`, or 400 listing every problem (`allow_empty`: no body is `{}`)."""
    return validate(model, await read_json_object(request, allow_empty=allow_empty), message=message)


def parse_query(request: Request, model: type[Model], *, message: str = "Validation failed") -> Model:
    """The query string validated as `model`, or 400. Where the model declares a list, every
    value of the parameter is an item (`?types=a&types=b`); any other parameter is sent once."""
    values: dict[str, Any] = {}
    repeated: list[str] = []
    for key, value in request.query_params.multi_items():
        if _is_list(_step(model, key)):
            cast(list[str], values.setdefault(key, [])).append(value)
        elif key not in values:
            values[key] = value
        elif key not in repeated:
            repeated.append(key)
    if repeated:
        bad_request([f"{key}: is sent more than once; send it once" for key in repeated], message)
    return validate(model, values, message=message)


def validate(model: type[Model], data: object, *, message: str = "Validation failed") -> Model:
    """`data` validated as `model`, or 400 listing every problem as "field.path: problem"."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        bad_request(wire_errors(model, exc.errors(include_url=False)), message)


def wire_errors(model: type[BaseModel], errors: Iterable[ErrorDetails]) -> list[str]:
    """Pydantic's errors in the sandbox's words, each "field.path: problem", without repeats."""
    return list(dict.fromkeys(_describe(model, error) for error in errors))


def field_path(loc: Sequence[int | str]) -> str:
    """("contacts", 0, "email") -> "contacts[0].email"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def type_name(value: object) -> str:
    """The JSON name of a value's type, as problems name it ("got number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


_TYPES: dict[str, str] = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "an array",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dict_type": "an object",
    "none_required": "null",
}


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def _problem(model: type[BaseModel], error: ErrorDetails) -> tuple[str, str | None]:
    """(the problem, a field to append to the path)."""
    kind, value = error["type"], error.get("input")
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == PROBLEM:
        return str(ctx["problem"]), ctx.get("at")
    if kind == "missing" or (kind in _TYPES and value is None):
        return "is required", None
    if kind in _TYPES:
        return f"must be {_TYPES[kind]}, got {type_name(value)}", None
    if kind in {"int_parsing", "float_parsing", "bool_parsing"}:
        wanted = {"int_parsing": "an integer", "float_parsing": "a number", "bool_parsing": "true or false"}
        return f"must be {wanted[kind]}, got {value!r}", None
    if kind == "extra_forbidden":
        known = _known_fields(model, error["loc"][:-1])
        return "is not a known field" + (f"; expected one of: {', '.join(known)}" if known else ""), None
    if kind == "too_short":
        count = int(ctx["min_length"])
        return f"must contain at least {count} item{_plural(count)}", None
    if kind == "too_long" and isinstance(value, str):
        return f"must be at most {ctx['max_length']} characters", None
    if kind == "too_long":
        return (
            f"must contain at most {ctx['max_length']} items, got {ctx['actual_length']}; split the request",
            None,
        )
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters", None
    if kind == "string_too_short":
        return f"must be at least {ctx['min_length']} characters", None
    if kind in {"greater_than_equal", "greater_than"}:
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}", None
    if kind in {"less_than_equal", "less_than"}:
        return f"must be at most {ctx.get('le', ctx.get('lt'))}", None
    if kind in {"literal_error", "enum"}:
        return f"must be one of: {ctx.get('expected', '')}", None
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), None
    return str(error["msg"]), None


def _describe(model: type[BaseModel], error: ErrorDetails) -> str:
    text, at = _problem(model, error)
    loc = [*error["loc"], *([at] if at else [])]
    return f"{field_path(loc) or 'body'}: {text}"


def _candidates(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Annotated and unions unwrapped, None dropped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _candidates(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return [item for arg in get_args(annotation) if arg is not NoneType for item in _candidates(arg)]
    return [annotation]


def _wire_name(name: str, alias: str | None) -> str:
    return alias or name


def _step(annotation: Any, part: int | str) -> Any:
    for candidate in _candidates(annotation):
        origin = get_origin(candidate)
        if isinstance(part, int) and origin in (list, tuple):
            return get_args(candidate)[0]
        if isinstance(part, str) and origin is dict:
            return get_args(candidate)[1]
        if isinstance(part, str) and isinstance(candidate, type) and issubclass(candidate, BaseModel):
            for name, info in candidate.model_fields.items():
                if _wire_name(name, info.alias) == part:
                    return info.annotation
    return None


def _is_list(annotation: Any) -> bool:
    return any(get_origin(candidate) in (list, tuple) for candidate in _candidates(annotation))


def _known_fields(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The wire names of the object at `loc` (for "expected one of: ...")."""
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    for candidate in _candidates(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return sorted(_wire_name(name, info.alias) for name, info in candidate.model_fields.items())
    return []


def dedupe(values: Iterable[str]) -> list[str]:
    """Values in first-seen order, each once (a reveal list naming a field twice pays once)."""
    return list(dict.fromkeys(values))
