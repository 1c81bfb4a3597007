"""The buying group (Decision Makers) in the sandbox: `routes` (the wire), `backend` (the product
category the account sells and the ranking), `records` (personas and contact previews)."""
