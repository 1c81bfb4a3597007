"""Prospecting filter discovery: GET /v3/{contacts,companies}/prospecting/filters[/{filterType}]."""
