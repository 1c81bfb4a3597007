"""Prospecting: contacts and companies by filters, paged (routes -> backend -> query; the
filters are declared in criteria.py, their SQL compiled in query.py)."""
