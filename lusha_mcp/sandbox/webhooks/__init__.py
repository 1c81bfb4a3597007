"""The sandbox's webhooks, in moto's shape: `routes` (the wire of /api/*) -> `backend` (the
secret and subscriptions, and what a delivery does to them) -> `records` (rows as Lusha's JSON);
`delivery` signs and POSTs, retries with backoff, and writes the audit log. The control routes
that fire deliveries on demand (/_sandbox/webhooks/...) are in endpoints/control.py."""
