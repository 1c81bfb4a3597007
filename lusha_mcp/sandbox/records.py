"""Where the contact and company renderings were before the sandbox's domain packages.

Kept for the modules that import these names from here (buying group, website visits and the
activity data, being moved on other branches); the renderings live in contacts/records.py and
companies/records.py, the row helpers in rows.py. Delete this module once they import from there.
"""

from __future__ import annotations

from lusha_mcp.sandbox.companies.records import company_preview as company_preview
from lusha_mcp.sandbox.contacts.records import contact_preview as contact_preview
from lusha_mcp.sandbox.rows import Row as Row
from lusha_mcp.sandbox.rows import change_percentage as change_percentage
from lusha_mcp.sandbox.rows import rows_by_id as rows_by_id
