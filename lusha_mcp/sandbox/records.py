"""Where the contact and company renderings were before the sandbox's domain packages.

Kept for the domains not yet moved into packages (buying group, website visits), which import
these three names from here; the renderings live in contacts/records.py, companies/records.py
and the row helpers in rows.py. Delete this module once those domains import from there.
"""

from __future__ import annotations

from lusha_mcp.sandbox.companies.records import company_preview as company_preview
from lusha_mcp.sandbox.contacts.records import contact_preview as contact_preview
from lusha_mcp.sandbox.rows import rows_by_id as rows_by_id
