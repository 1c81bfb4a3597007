"""Signals in the sandbox: `routes` (the wire), `backend` (state and behaviour), `records`."""
