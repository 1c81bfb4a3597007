"""Website visits in the sandbox: `routes` (the wire), `backend` (windows, filters, ranking),
`records` (a company's visit totals and their metrics)."""
