"""find_decision_makers: the buying group (decision makers, champions, end users) of companies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import BuyingGroupRequest, BuyingGroupResponse
from lusha_mcp.api.models.buying_group import BuyingGroupContact, Persona
from lusha_mcp.api.models.contacts import ContactPreview
from lusha_mcp.guard import Quote
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.contacts import remember_previews
from lusha_mcp.tools.framework import (
    METERED_SEARCH,
    ArgumentError,
    Billed,
    MeteredResult,
    Plan,
    ToolCall,
    ToolGroup,
    billed,
    table,
    until_failure,
)

group = ToolGroup()
register = group.register

ACTION = "buyingGroupContact"
COMPANIES_PER_REQUEST = 25
CONTACTS_PER_REQUEST = 100
MAX_COMPANIES = 250


class DecisionMaker(BaseModel):
    """A ranked contact preview (no emails or phones)."""

    id: str | None = None
    name: str | None = None
    title: str | None = None
    roles: list[str] = Field(default_factory=list[str], description="Persona roles.")
    score: float | None = Field(default=None, description="Relevance to the role, 0-1.")
    can_reveal: dict[str, int] = Field(default_factory=dict[str, int], description="Field -> credits.")


class CompanyBuyingGroup(BaseModel):
    """The buying group of one requested company."""

    company: str = Field(description="The domain or id asked for.")
    company_id: str | None = None
    company_name: str | None = None
    contacts: list[DecisionMaker] = Field(default_factory=list[DecisionMaker])
    error: str | None = None


class DecisionMakers(MeteredResult):
    """Buying groups per company; reveal emails/phones with enrich_contacts(ids)."""

    companies: list[CompanyBuyingGroup] = Field(default_factory=list[CompanyBuyingGroup])

    def render(self) -> str:
        rows = [
            (
                group.company_name or group.company,
                group.company_id,
                c.id,
                c.name,
                c.title,
                ",".join(c.roles),
                f"{c.score:.2f}" if c.score is not None else "",
                ", ".join(f"{field} {credits}cr" for field, credits in c.can_reveal.items()),
            )
            for group in self.companies
            for c in group.contacts
        ]
        found = [g for g in self.companies if g.contacts]
        lines = [f"{len(rows)} contacts in {len(found)} of {len(self.companies)} companies."]
        nobody = [g.company for g in self.companies if not g.contacts and not g.error]
        if nobody:
            lines.append("Nobody found for the personas asked at: " + ", ".join(nobody) + ".")
        failed = [f"{g.company} ({g.error})" for g in self.companies if g.error]
        if failed:
            lines.append("No buying group (Lusha's code): " + ", ".join(failed) + ".")
        lines.append(
            "Score: relevance to the role, 0-1. Reveal emails/phones with enrich_contacts(ids=[...])."
        )
        if rows:
            if any(row[6] == "" for row in rows):
                lines.append("A blank score: Lusha gave no relevance score for that contact.")
            lines.append(
                table(
                    ("company", "company id", "id", "name", "title", "roles", "score", "can reveal"),
                    rows,
                    shorten=("company", "name", "title"),
                )
            )
        return "\n".join(lines)


def _contact(record: BuyingGroupContact) -> DecisionMaker:
    return DecisionMaker(
        id=record.id,
        name=" ".join(part for part in (record.first_name, record.last_name) if part) or None,
        title=record.job_title.title if record.job_title else None,
        roles=record.roles,
        score=record.score,
        can_reveal={entry.field: entry.credits or 0 for entry in record.can_reveal},
    )


def _groups(asked: list[str], response: BuyingGroupResponse) -> list[CompanyBuyingGroup]:
    out: list[CompanyBuyingGroup] = []
    for index, result in enumerate(response.results):
        reference = result.client_reference_id
        position = int(reference) if reference and reference.isdigit() else index
        company = asked[position] if position < len(asked) else result.company_id or "?"
        first = result.contacts[0].company if result.contacts else None
        out.append(
            CompanyBuyingGroup(
                company=company,
                company_id=result.company_id or (first.id if first else None),
                company_name=first.name if first else None,
                contacts=[_contact(contact) for contact in result.contacts],
                error=result.error.code if result.error else None,
            )
        )
    return out


@group.tool(
    toolset=Toolset.decision_makers, title="Find decision makers", annotations=METERED_SEARCH, metered=True
)
async def find_decision_makers(
    call: ToolCall,
    domains: Annotated[list[str] | None, Field(description="Company domains.")] = None,
    company_ids: Annotated[list[str] | None, Field(description="Or Lusha company ids.")] = None,
    personas: Annotated[list[Persona] | None, Field(description="Default: all three.")] = None,
    contacts_limit: Annotated[int, Field(description="Contacts per company (1-60).", ge=1, le=60)] = 10,
) -> Plan[DecisionMakers]:
    """Find the buying group of companies: ranked decision makers, champions and end users (previews).

    Use this for account-based outreach on known companies. Cost: per contact returned (at
    most companies x contacts_limit). Narrow with personas or a lower contacts_limit.
    """
    asked: list[str] = list(dict.fromkeys([*(domains or []), *(company_ids or [])]))
    if not asked:
        raise ArgumentError("domains", "no company given", "domains=[...] or company_ids=[...]")
    if len(asked) > MAX_COMPANIES:
        raise ArgumentError("domains", f"{len(asked)} companies", f"at most {MAX_COMPANIES} per call")
    id_set = set(company_ids or [])
    items = [
        {"client_reference_id": str(i), **({"id": value} if value in id_set else {"domain": value})}
        for i, value in enumerate(asked)
    ]
    try:
        request = BuyingGroupRequest.model_validate(
            {
                "companies": items,
                "personas": personas or None,
                "contacts_limit": contacts_limit,
                "pagination": {"page": 0, "size": CONTACTS_PER_REQUEST},
            }
        )
    except InvalidRequestError as exc:
        problems = "; ".join(p.removeprefix("request: ") for p in exc.problems)
        raise ArgumentError("domains", problems or exc.message, "bare domains like acme.com") from None
    ceiling = sum(
        min(len(asked[start : start + COMPANIES_PER_REQUEST]) * contacts_limit, CONTACTS_PER_REQUEST)
        for start in range(0, len(asked), COMPANIES_PER_REQUEST)
    )
    book = await call.guard.pricing.book()
    quote = Quote.of([book.item("buying group contacts", ACTION, ceiling)])

    async def run() -> Billed[DecisionMakers]:
        response, stopped = await until_failure(
            call.client.contacts.buying_group(request, on_progress=call.progress)
        )
        previews = [
            ContactPreview.model_validate(contact.model_dump())
            for result in response.results
            for contact in result.contacts
        ]
        remember_previews(call.guard.previews, previews)
        return billed(DecisionMakers(companies=_groups(asked, response)), response, stopped)

    return Plan(quote=quote, run=run)
