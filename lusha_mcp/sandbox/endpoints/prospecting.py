"""Placeholder."""

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
