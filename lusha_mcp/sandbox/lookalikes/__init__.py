"""Lookalikes in the sandbox: `routes` (the wire), `backend` (sessions and ranking), `records`."""
