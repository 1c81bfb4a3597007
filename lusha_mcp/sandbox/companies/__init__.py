"""Companies: search, enrich and search-and-enrich (routes -> backend -> records)."""
