"""Route modules of the sandbox; each exposes `ROUTES: list[starlette.routing.Route]`."""
