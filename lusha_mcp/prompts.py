"""Go-to-market workflows served as MCP prompts.

Each workflow is a Markdown file in prompts/ (shipped in the wheel as lusha_mcp/_prompts): YAML
front matter declaring the prompt and its arguments, then a body with {argument} placeholders.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.prompts.base import Message, Prompt, PromptArgument, UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, InputRequiredResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

FILTER_TYPES: Mapping[str, frozenset[str]] = {
    "contacts": frozenset({"departments", "seniority", "existingDataPoints", "countries", "locations"}),
    "companies": frozenset(
        {
            "names",
            "sizes",
            "revenues",
            "locations",
            "sics",
            "naics",
            "industriesLabels",
            "intentTopics",
            "technologies",
        }
    ),
}
"""Prospecting filter types per entity, as Lusha names them; `complete` keys must use these."""

_IDENTIFIER = r"[a-z][a-z0-9_]*"
_PLACEHOLDER = re.compile(r"\{(" + _IDENTIFIER + r")\}")
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (several times faster), else the pure-Python one."""
_FRONT_MATTER = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n(.*)\Z", re.DOTALL)


class PromptFileError(ValueError):
    """A prompt file is malformed; the message names the file and what to fix."""


class PromptArgumentError(ValueError):
    """Arguments sent to a prompt are missing or unknown; the message says what to send."""


class PromptArgumentSpec(BaseModel):
    """One argument of a prompt, as declared in the front matter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=f"^{_IDENTIFIER}$")
    description: str = Field(min_length=1)
    required: bool
    type: Literal["text", "integer"] = Field(
        default="text", description="`integer` arguments accept only whole numbers of 0 or more."
    )
    default: str | None = Field(default=None, description="Text used when an optional argument is not sent.")
    complete: str | None = Field(
        default=None, description="`entity:filterType` whose filter values complete this argument."
    )

    @field_validator("complete")
    @classmethod
    def _known_filter(cls, value: str | None) -> str | None:
        if value is None:
            return None
        entity, _, filter_type = value.partition(":")
        if entity not in FILTER_TYPES:
            raise ValueError(
                f"complete must start with one of {sorted(FILTER_TYPES)}, then ':'; got {value!r}"
            )
        if filter_type not in FILTER_TYPES[entity]:
            raise ValueError(
                f"{filter_type!r} is not a {entity} filter type; use one of {sorted(FILTER_TYPES[entity])}"
            )
        return value

    @model_validator(mode="after")
    def _default_matches_required(self) -> PromptArgumentSpec:
        if self.required and self.default is not None:
            raise ValueError(f"argument {self.name!r} is required, so it must not have a default")
        if not self.required and self.default is None:
            raise ValueError(
                f"optional argument {self.name!r} needs a default (the text used when it is omitted)"
            )
        if self.default is not None and self.type == "integer" and not self.default.isdigit():
            raise ValueError(f"default of integer argument {self.name!r} must be a whole number")
        return self

    @property
    def completion_source(self) -> tuple[str, str] | None:
        if self.complete is None:
            return None
        entity, _, filter_type = self.complete.partition(":")
        return entity, filter_type


class PromptSpec(BaseModel):
    """A workflow prompt: its metadata, arguments and body template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=f"^{_IDENTIFIER}$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    arguments: tuple[PromptArgumentSpec, ...] = ()
    body: str = Field(min_length=1)

    @model_validator(mode="after")
    def _placeholders_match_arguments(self) -> PromptSpec:
        declared = [argument.name for argument in self.arguments]
        duplicates = sorted({name for name in declared if declared.count(name) > 1})
        if duplicates:
            raise ValueError(f"arguments declared twice: {', '.join(duplicates)}")
        used = set(_PLACEHOLDER.findall(self.body))
        undeclared = sorted(used - set(declared))
        if undeclared:
            raise ValueError(
                "body uses placeholders that are not declared arguments: "
                + ", ".join(f"{{{name}}}" for name in undeclared)
            )
        unused = [name for name in declared if name not in used]
        if unused:
            raise ValueError(f"arguments never used in the body: {', '.join(unused)}")
        return self

    def render(self, arguments: Mapping[str, str | None]) -> str:
        """Fill the body; refuses unknown arguments and missing required ones with a clear message."""
        by_name = {argument.name: argument for argument in self.arguments}
        unknown = sorted(set(arguments) - set(by_name))
        if unknown:
            raise PromptArgumentError(
                f"Prompt {self.name!r} has no argument {', '.join(map(repr, unknown))}; "
                f"it takes: {', '.join(by_name) or 'no arguments'}."
            )
        values: dict[str, str] = {}
        missing: list[PromptArgumentSpec] = []
        for argument in self.arguments:
            given = (arguments.get(argument.name) or "").strip()
            if given:
                if argument.type == "integer" and not given.isdigit():
                    raise PromptArgumentError(
                        f"Prompt {self.name!r}: {argument.name!r} must be a whole number such as 25; got {given!r}."
                    )
                values[argument.name] = given
            elif argument.default is not None:
                values[argument.name] = argument.default
            else:
                missing.append(argument)
        if missing:
            needed = "; ".join(f"{argument.name!r} ({argument.description})" for argument in missing)
            raise PromptArgumentError(f"Prompt {self.name!r} needs a value for {needed}.")

        def fill(match: re.Match[str]) -> str:
            return values.get(match.group(1), match.group(0))

        return _PLACEHOLDER.sub(fill, self.body).strip() + "\n"


class _TemplatePrompt(Prompt):
    """An MCP prompt rendered from a PromptSpec, with the spec's own argument errors."""

    spec: PromptSpec = Field(exclude=True)

    async def render(
        self, arguments: dict[str, Any] | None, context: Context[Any, Any]
    ) -> list[Message] | InputRequiredResult:
        try:
            text = self.spec.render(_as_text(arguments or {}))
        except PromptArgumentError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from exc
        return [UserMessage(text)]


def _messages(spec: PromptSpec, **arguments: str) -> list[Message]:
    return [UserMessage(spec.render(arguments))]


def _as_text(arguments: Mapping[str, Any]) -> dict[str, str | None]:
    return {name: None if value is None else str(value) for name, value in arguments.items()}


def parse_prompt_file(text: str, *, source: str) -> PromptSpec:
    """Parse one prompt file; `source` (the file name) is used in error messages."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise PromptFileError(f"{source}: must start with '---', YAML front matter, then '---' and the body")
    front_matter, body = match.groups()
    try:
        meta = yaml.load(front_matter, Loader=_YAML_LOADER)  # noqa: S506 - CSafeLoader or SafeLoader
    except yaml.YAMLError as exc:
        raise PromptFileError(f"{source}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise PromptFileError(
            f"{source}: front matter must be a mapping of name, title, description, arguments"
        )
    try:
        spec = PromptSpec.model_validate({**meta, "body": body})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'front matter'}: {error['msg']}"
            for error in exc.errors()
        )
        raise PromptFileError(f"{source}: {problems}") from exc
    stem = source.rsplit("/", 1)[-1].removesuffix(".md")
    if spec.name != stem:
        raise PromptFileError(f"{source}: name {spec.name!r} must equal the file name {stem!r}")
    return spec


def prompt_files() -> list[Traversable]:
    """The shipped prompt files: the package's _prompts resources, else the source tree's prompts/."""
    packaged = files("lusha_mcp") / "_prompts"
    candidates: list[Traversable] = []
    if packaged.is_dir():
        candidates = [entry for entry in packaged.iterdir() if entry.name.endswith(".md")]
    if not candidates:
        source_tree = Path(__file__).resolve().parent.parent / "prompts"
        if source_tree.is_dir():
            candidates = [entry for entry in source_tree.iterdir() if entry.name.endswith(".md")]
    return sorted(candidates, key=lambda entry: entry.name)


def load_prompt_specs() -> list[PromptSpec]:
    """Every shipped workflow prompt, validated, sorted by name."""
    specs = [
        parse_prompt_file(entry.read_text(encoding="utf-8"), source=entry.name) for entry in prompt_files()
    ]
    return sorted(specs, key=lambda spec: spec.name)


@functools.cache
def _specs_by_name() -> dict[str, PromptSpec]:
    return {spec.name: spec for spec in load_prompt_specs()}


def completion_source(prompt_name: str, argument_name: str) -> tuple[str, str] | None:
    """(entity, filter type) whose filter values complete this prompt argument, if any."""
    spec = _specs_by_name().get(prompt_name)
    if spec is None:
        return None
    for argument in spec.arguments:
        if argument.name == argument_name:
            return argument.completion_source
    return None


def register_prompts(server: MCPServer) -> None:
    """Add every workflow prompt to the server."""
    for spec in _specs_by_name().values():
        server.add_prompt(
            _TemplatePrompt(
                name=spec.name,
                title=spec.title,
                description=spec.description,
                arguments=[
                    PromptArgument(
                        name=argument.name, description=argument.description, required=argument.required
                    )
                    for argument in spec.arguments
                ],
                fn=functools.partial(_messages, spec),
                context_kwarg=None,
                spec=spec,
            )
        )
