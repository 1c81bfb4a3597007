"""Account usage: GET /v3/account/usage (routes -> the account's state -> records)."""
