"""Fixed vocabularies of the sandbox dataset: seniorities, departments, titles, industries,
locations, company sizes and revenues, technologies and intent topics.

Prospecting filters and the filter-discovery endpoints both read these, so the values a
caller discovers are exactly the ones the data holds.
"""

from __future__ import annotations

from dataclasses import dataclass

SENIORITIES: dict[int, str] = {
    1: "Non-Manager",
    2: "Senior",
    3: "Manager",
    4: "Director",
    5: "Vice President",
    6: "C-Suite",
    7: "Founder",
    8: "Partner",
}
SENIORITY_IDS: dict[str, int] = {name: sid for sid, name in SENIORITIES.items()}

DEPARTMENTS: tuple[str, ...] = (
    "Sales",
    "Marketing",
    "Engineering & Technical",
    "Business Development",
    "Product",
    "Finance",
    "Human Resources",
    "Operations",
    "Customer Service",
    "Legal",
    "Information Technology",
    "Consulting",
    "General Management",
    "Other",
)
DEPARTMENT_BITS: dict[str, int] = {name: 1 << index for index, name in enumerate(DEPARTMENTS)}

# department -> (short name used in leadership titles, individual-contributor titles)
DEPARTMENT_TITLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Sales": ("Sales", ("Account Executive", "Sales Development Representative", "Account Manager")),
    "Marketing": (
        "Marketing",
        ("Marketing Specialist", "Content Marketing Strategist", "Demand Generation Specialist"),
    ),
    "Engineering & Technical": ("Engineering", ("Software Engineer", "Backend Developer", "QA Engineer")),
    "Business Development": (
        "Business Development",
        ("Partnerships Associate", "Business Development Representative"),
    ),
    "Product": ("Product", ("Product Manager", "Technical Product Manager", "Product Designer")),
    "Finance": ("Finance", ("Financial Analyst", "Finance Associate", "Financial Controller")),
    "Human Resources": ("People", ("HR Business Partner", "Recruiter", "Talent Acquisition Specialist")),
    "Operations": ("Operations", ("Operations Analyst", "Operations Coordinator", "Supply Chain Analyst")),
    "Customer Service": ("Customer Success", ("Customer Success Manager", "Customer Support Specialist")),
    "Legal": ("Legal", ("Corporate Counsel", "Paralegal", "Legal Compliance Analyst")),
    "Information Technology": (
        "IT",
        ("IT Systems Administrator", "IT Support Engineer", "IT Network Engineer"),
    ),
    "Consulting": ("Consulting", ("Consultant", "Associate Consultant")),
    "General Management": ("Strategy", ("Strategy Associate", "Strategy Analyst")),
    "Other": ("Administration", ("Office Administrator", "Administrative Assistant")),
}

C_SUITE_TITLES: dict[str, str] = {
    "Sales": "Chief Revenue Officer",
    "Marketing": "Chief Marketing Officer",
    "Engineering & Technical": "Chief Technology Officer",
    "Business Development": "Chief Business Development Officer",
    "Product": "Chief Product Officer",
    "Finance": "Chief Financial Officer",
    "Human Resources": "Chief People Officer",
    "Operations": "Chief Operating Officer",
    "Information Technology": "Chief Information Officer",
    "Legal": "General Counsel",
    "Customer Service": "Chief Customer Officer",
    "General Management": "Chief Executive Officer",
    "Other": "Chief Administrative Officer",
}
"""Departments without a C-level role of their own (Consulting) are led by General Management."""


@dataclass(frozen=True, slots=True)
class CrossRole:
    """A role spanning two departments; its titles name both."""

    departments: tuple[str, str]
    area: str
    individual: tuple[str, ...]


CROSS_ROLES: tuple[CrossRole, ...] = (
    CrossRole(("Sales", "Engineering & Technical"), "Sales Engineering", ("Sales Engineer",)),
    CrossRole(("Sales", "Operations"), "Revenue Operations", ("Revenue Operations Analyst",)),
    CrossRole(("Sales", "Business Development"), "Sales & Partnerships", ("Sales & Partnerships Associate",)),
    CrossRole(("Marketing", "Operations"), "Marketing Operations", ("Marketing Operations Specialist",)),
    CrossRole(("Product", "Marketing"), "Product Marketing", ("Product Marketing Associate",)),
    CrossRole(("Product", "Engineering & Technical"), "Product Engineering", ("Product Engineer",)),
    CrossRole(
        ("Information Technology", "Engineering & Technical"),
        "IT Infrastructure Engineering",
        ("IT Infrastructure Engineer",),
    ),
    CrossRole(("Human Resources", "Operations"), "People Operations", ("People Operations Specialist",)),
    CrossRole(("Legal", "Operations"), "Legal Operations", ("Legal Operations Specialist",)),
    CrossRole(("Finance", "Operations"), "Finance Operations", ("Finance Operations Analyst",)),
    CrossRole(("Customer Service", "Sales"), "Customer Sales", ("Customer Sales Representative",)),
)
"""Roles of contacts with two departments. Only individual contributors up to vice presidents hold one."""

CROSS_ROLE_SENIORITIES = frozenset({"Non-Manager", "Senior", "Manager", "Director", "Vice President"})
SINGLE_DEPARTMENT_SENIORITIES = {"Founder": "General Management", "Partner": "General Management"}
"""Seniorities that always belong to one fixed department."""


def _leadership_title(seniority: str, area: str, individual: tuple[str, ...], variant: int) -> str:
    if seniority == "Non-Manager":
        return individual[variant % len(individual)]
    if seniority == "Senior":
        return f"Senior {individual[variant % len(individual)]}"
    if seniority == "Manager":
        manager = f"{area} Manager"
        if manager in individual or variant % 2 == 0:
            return f"Head of {area}"
        return manager
    if seniority == "Director":
        return f"Director of {area}" if variant % 2 else f"Senior Director of {area}"
    return f"VP of {area}" if variant % 2 else f"Vice President of {area}"


def job_title(seniority: str, department: str, variant: int) -> str:
    """A title consistent with the seniority and department (the same title never means two seniorities)."""
    if seniority == "C-Suite":
        return C_SUITE_TITLES.get(department, C_SUITE_TITLES["General Management"])
    if seniority == "Founder":
        return "Co-Founder" if variant % 2 else "Founder & CEO"
    if seniority == "Partner":
        return "Managing Partner" if variant % 2 else "Partner"
    short, individual = DEPARTMENT_TITLES[department]
    return _leadership_title(seniority, short, individual, variant)


def cross_role_title(seniority: str, role: CrossRole, variant: int) -> str:
    """A title for a two-department role at a seniority in CROSS_ROLE_SENIORITIES."""
    return _leadership_title(seniority, role.area, role.individual, variant)


def contact_departments(seniority: str, department: str) -> list[str]:
    """The departments a single-department contact of this seniority belongs to."""
    fixed = SINGLE_DEPARTMENT_SENIORITIES.get(seniority)
    if fixed is not None:
        return [fixed]
    if seniority == "C-Suite" and department not in C_SUITE_TITLES:
        return ["General Management"]
    return [department]


SENIORITY_WEIGHTS: dict[str, int] = {
    "Non-Manager": 46,
    "Senior": 18,
    "Manager": 16,
    "Director": 9,
    "Vice President": 5,
    "C-Suite": 3,
    "Founder": 2,
    "Partner": 1,
}
DEPARTMENT_WEIGHTS: dict[str, int] = {
    "Sales": 16,
    "Marketing": 10,
    "Engineering & Technical": 18,
    "Business Development": 6,
    "Product": 6,
    "Finance": 6,
    "Human Resources": 5,
    "Operations": 9,
    "Customer Service": 7,
    "Legal": 2,
    "Information Technology": 6,
    "Consulting": 3,
    "General Management": 3,
    "Other": 3,
}


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    state: str
    country: str
    country_code: str
    continent: str
    locale: str
    phone_prefix: str
    weight: int

    @property
    def is_eu(self) -> bool:
        return self.country_code in EU_COUNTRY_CODES


EU_COUNTRY_CODES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)

PLACES: tuple[Place, ...] = (
    Place("New York", "New York", "United States", "US", "North America", "en_US", "+1 212", 9),
    Place("San Francisco", "California", "United States", "US", "North America", "en_US", "+1 415", 8),
    Place("Los Angeles", "California", "United States", "US", "North America", "en_US", "+1 213", 5),
    Place("Austin", "Texas", "United States", "US", "North America", "en_US", "+1 512", 5),
    Place("Dallas", "Texas", "United States", "US", "North America", "en_US", "+1 214", 4),
    Place("Chicago", "Illinois", "United States", "US", "North America", "en_US", "+1 312", 5),
    Place("Boston", "Massachusetts", "United States", "US", "North America", "en_US", "+1 617", 5),
    Place("Seattle", "Washington", "United States", "US", "North America", "en_US", "+1 206", 4),
    Place("Denver", "Colorado", "United States", "US", "North America", "en_US", "+1 303", 3),
    Place("Atlanta", "Georgia", "United States", "US", "North America", "en_US", "+1 404", 3),
    Place("Miami", "Florida", "United States", "US", "North America", "en_US", "+1 305", 3),
    Place("Toronto", "Ontario", "Canada", "CA", "North America", "en_CA", "+1 416", 4),
    Place("Vancouver", "British Columbia", "Canada", "CA", "North America", "en_CA", "+1 604", 2),
    Place("London", "England", "United Kingdom", "GB", "Europe", "en_GB", "+44 20", 7),
    Place("Manchester", "England", "United Kingdom", "GB", "Europe", "en_GB", "+44 161", 2),
    Place("Dublin", "Leinster", "Ireland", "IE", "Europe", "en_IE", "+353 1", 2),
    Place("Berlin", "Berlin", "Germany", "DE", "Europe", "de_DE", "+49 30", 4),
    Place("Munich", "Bavaria", "Germany", "DE", "Europe", "de_DE", "+49 89", 3),
    Place("Paris", "Ile-de-France", "France", "FR", "Europe", "fr_FR", "+33 1", 4),
    Place("Lyon", "Auvergne-Rhone-Alpes", "France", "FR", "Europe", "fr_FR", "+33 4", 1),
    Place("Amsterdam", "North Holland", "Netherlands", "NL", "Europe", "nl_NL", "+31 20", 3),
    Place("Madrid", "Community of Madrid", "Spain", "ES", "Europe", "es_ES", "+34 91", 2),
    Place("Barcelona", "Catalonia", "Spain", "ES", "Europe", "es_ES", "+34 93", 2),
    Place("Milan", "Lombardy", "Italy", "IT", "Europe", "it_IT", "+39 02", 2),
    Place("Stockholm", "Stockholm", "Sweden", "SE", "Europe", "sv_SE", "+46 8", 2),
    Place("Warsaw", "Masovia", "Poland", "PL", "Europe", "pl_PL", "+48 22", 1),
    Place("Zurich", "Zurich", "Switzerland", "CH", "Europe", "de_CH", "+41 44", 1),
    Place("Tel Aviv", "Tel Aviv District", "Israel", "IL", "Asia", "he_IL", "+972 3", 3),
    Place("Bangalore", "Karnataka", "India", "IN", "Asia", "en_IN", "+91 80", 3),
    Place("Singapore", "Singapore", "Singapore", "SG", "Asia", "en_US", "+65 6", 2),
    Place("Tokyo", "Tokyo", "Japan", "JP", "Asia", "ja_JP", "+81 3", 2),
    Place("Sydney", "New South Wales", "Australia", "AU", "Oceania", "en_AU", "+61 2", 2),
    Place("Sao Paulo", "Sao Paulo", "Brazil", "BR", "South America", "pt_BR", "+55 11", 2),
    Place("Mexico City", "Mexico City", "Mexico", "MX", "North America", "es_MX", "+52 55", 1),
)

COUNTRIES: dict[str, str] = {place.country_code: place.country for place in PLACES}


@dataclass(frozen=True, slots=True)
class Industry:
    id: int
    label: str
    sub_industries: tuple[tuple[int, str], ...]
    sic: tuple[tuple[str, str], ...]
    naics: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...]


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        1,
        "Technology, Information & Media",
        (
            (101, "Software Development"),
            (102, "SaaS"),
            (103, "IT Services & Consulting"),
            (104, "Internet Publishing"),
        ),
        (
            ("7372", "Prepackaged Software"),
            ("7371", "Computer Programming Services"),
            ("7374", "Computer Processing & Data Preparation"),
        ),
        (
            ("511210", "Software Publishers"),
            ("541511", "Custom Computer Programming Services"),
            ("518210", "Data Processing & Hosting"),
        ),
        ("software", "cloud", "saas", "platform", "api"),
    ),
    Industry(
        2,
        "Financial Services",
        ((201, "Banking"), (202, "Fintech"), (203, "Insurance"), (204, "Investment Management")),
        (
            ("6021", "National Commercial Banks"),
            ("6282", "Investment Advice"),
            ("6411", "Insurance Agents & Brokers"),
        ),
        (
            ("522110", "Commercial Banking"),
            ("523930", "Investment Advice"),
            ("524210", "Insurance Agencies & Brokerages"),
        ),
        ("fintech", "payments", "lending", "banking", "wealth"),
    ),
    Industry(
        3,
        "Hospitals & Health Care",
        ((301, "Hospitals"), (302, "Medical Devices"), (303, "Health Tech")),
        (("8062", "General Medical & Surgical Hospitals"), ("3841", "Surgical & Medical Instruments")),
        (
            ("622110", "General Medical & Surgical Hospitals"),
            ("339112", "Surgical & Medical Instrument Manufacturing"),
        ),
        ("healthcare", "patients", "clinical", "medtech"),
    ),
    Industry(
        4,
        "Manufacturing",
        ((401, "Industrial Machinery"), (402, "Automotive"), (403, "Electronics Manufacturing")),
        (
            ("3559", "Special Industry Machinery"),
            ("3714", "Motor Vehicle Parts"),
            ("3672", "Printed Circuit Boards"),
        ),
        (
            ("333249", "Industrial Machinery Manufacturing"),
            ("336390", "Other Motor Vehicle Parts Manufacturing"),
            ("334412", "Bare Printed Circuit Board Manufacturing"),
        ),
        ("manufacturing", "industrial", "automation", "supply chain"),
    ),
    Industry(
        5,
        "Retail",
        ((501, "E-commerce"), (502, "Consumer Goods"), (503, "Apparel & Fashion")),
        (("5961", "Catalog & Mail-Order Houses"), ("5651", "Family Clothing Stores")),
        (("454110", "Electronic Shopping"), ("448140", "Family Clothing Stores")),
        ("ecommerce", "retail", "consumer", "omnichannel"),
    ),
    Industry(
        6,
        "Professional Services",
        ((601, "Management Consulting"), (602, "Legal Services"), (603, "Accounting")),
        (
            ("8742", "Management Consulting Services"),
            ("8111", "Legal Services"),
            ("8721", "Accounting Services"),
        ),
        (
            ("541611", "Management Consulting Services"),
            ("541110", "Offices of Lawyers"),
            ("541211", "Offices of Certified Public Accountants"),
        ),
        ("consulting", "advisory", "services", "compliance"),
    ),
    Industry(
        7,
        "Education",
        ((701, "Higher Education"), (702, "E-Learning")),
        (("8221", "Colleges & Universities"), ("8299", "Schools & Educational Services")),
        (("611310", "Colleges & Universities"), ("611710", "Educational Support Services")),
        ("education", "learning", "edtech"),
    ),
    Industry(
        8,
        "Real Estate & Construction",
        ((801, "Commercial Real Estate"), (802, "Construction")),
        (("6531", "Real Estate Agents & Managers"), ("1542", "Nonresidential Construction")),
        (("531210", "Offices of Real Estate Agents"), ("236220", "Commercial Building Construction")),
        ("construction", "property", "hvac", "real estate"),
    ),
    Industry(
        9,
        "Transportation & Logistics",
        ((901, "Freight & Logistics"), (902, "Airlines & Aviation")),
        (("4731", "Freight Transportation Arrangement"), ("4512", "Air Transportation, Scheduled")),
        (
            ("488510", "Freight Transportation Arrangement"),
            ("481111", "Scheduled Passenger Air Transportation"),
        ),
        ("logistics", "freight", "fleet", "shipping"),
    ),
    Industry(
        10,
        "Telecommunications",
        ((1001, "Wireless"), (1002, "Telecom Infrastructure")),
        (("4812", "Radiotelephone Communications"), ("4813", "Telephone Communications")),
        (("517312", "Wireless Telecommunications Carriers"), ("517311", "Wired Telecommunications Carriers")),
        ("telecom", "5g", "network", "connectivity"),
    ),
)
INDUSTRY_NAME_SUFFIXES: dict[int, tuple[str, ...]] = {
    1: ("Labs", "Systems", "Technologies", "Software", "Digital", "Networks", "Analytics", "AI"),
    2: ("Capital", "Financial", "Payments", "Bank", "Partners", "Wealth", "Lending"),
    3: ("Health", "Medical", "Care", "Clinics", "Therapeutics", "Diagnostics"),
    4: ("Industries", "Manufacturing", "Works", "Machines", "Dynamics", "Automation"),
    5: ("Goods", "Store", "Brands", "Market", "Outfitters", "Shop"),
    6: ("Partners", "Consulting", "Advisors", "Group", "Associates", "Law"),
    7: ("Academy", "Learning", "Institute", "Education", "School"),
    8: ("Properties", "Builders", "Construction", "Realty", "Development"),
    9: ("Logistics", "Freight", "Transport", "Shipping", "Airways", "Fleet"),
    10: ("Telecom", "Wireless", "Communications", "Networks", "Connect"),
}
"""Company name endings that fit each industry."""

COMPANY_NAME_WORDS: tuple[str, ...] = (
    "Summit",
    "Harbor",
    "Beacon",
    "Cedar",
    "Granite",
    "Meridian",
    "Pioneer",
    "Keystone",
    "Atlas",
    "Horizon",
    "Evergreen",
    "Apex",
    "Vertex",
    "Crest",
    "Ridge",
    "Sterling",
    "Liberty",
    "Frontier",
    "Pinnacle",
    "Cascade",
    "Canyon",
    "Falcon",
    "Orchard",
    "Compass",
    "Anchor",
    "Bridge",
    "Lantern",
    "Juniper",
    "Willow",
    "Aspen",
    "Maple",
    "River",
    "Prairie",
    "Coastal",
    "Northern",
    "Southern",
    "Silver",
    "Golden",
    "Bright",
    "Clear",
    "True",
    "First",
    "United",
    "Allied",
    "Premier",
    "Vista",
    "Harvest",
    "Sentinel",
    "Polaris",
    "Orion",
    "Nova",
    "Zenith",
    "Redwood",
    "Ironwood",
    "Bluebird",
    "Highland",
    "Lakeside",
    "Copper",
    "Cobalt",
    "Emerald",
    "Sapphire",
)
"""Name words that fit any industry (each a dictionary word or an established place-style word)."""

INDUSTRY_NAME_WORDS: dict[int, tuple[str, ...]] = {
    1: (
        "Cloud",
        "Data",
        "Code",
        "Logic",
        "Stack",
        "Pixel",
        "Signal",
        "Vector",
        "Quantum",
        "Neural",
        "Cipher",
        "Kernel",
        "Matrix",
        "Orbit",
        "Spark",
        "Circuit",
    ),
    2: (
        "Ledger",
        "Vault",
        "Reserve",
        "Crown",
        "Shield",
        "Mint",
        "Equity",
        "Charter",
        "Trust",
        "Union",
        "Fidelity",
        "Heritage",
    ),
    3: (
        "Pulse",
        "Vital",
        "Clarity",
        "Harmony",
        "Remedy",
        "Helix",
        "Lifeline",
        "Mercy",
        "Haven",
        "Bloom",
        "Cardinal",
        "Wellness",
    ),
    4: (
        "Forge",
        "Steel",
        "Iron",
        "Precision",
        "Titan",
        "Anvil",
        "Gear",
        "Piston",
        "Alloy",
        "Torque",
        "Foundry",
        "Tool",
    ),
    5: (
        "Basket",
        "Thread",
        "Loom",
        "Urban",
        "Corner",
        "Parcel",
        "Trend",
        "Hearth",
        "Nest",
        "Bazaar",
        "Market",
        "Pantry",
    ),
    6: (
        "Counsel",
        "Insight",
        "Strategy",
        "Ledger",
        "Benchmark",
        "Principal",
        "Civic",
        "Advocate",
        "Chancery",
        "Charter",
    ),
    7: (
        "Scholar",
        "Campus",
        "Quill",
        "Mentor",
        "Lyceum",
        "Chapter",
        "Canvas",
        "Owl",
        "Tutor",
        "Beacon",
        "Library",
    ),
    8: (
        "Stone",
        "Brick",
        "Timber",
        "Cornerstone",
        "Mason",
        "Landmark",
        "Skyline",
        "Terrace",
        "Gable",
        "Archway",
        "Foundation",
    ),
    9: (
        "Cargo",
        "Route",
        "Convoy",
        "Transit",
        "Swift",
        "Express",
        "Voyager",
        "Harbor",
        "Wing",
        "Caravan",
        "Relay",
    ),
    10: (
        "Wave",
        "Link",
        "Relay",
        "Spectrum",
        "Fiber",
        "Antenna",
        "Orbit",
        "Tower",
        "Band",
        "Channel",
        "Beam",
    ),
}
"""Name words that suggest each industry."""

INDUSTRY_BY_LABEL: dict[str, Industry] = {industry.label: industry for industry in INDUSTRIES}
INDUSTRY_WEIGHTS: tuple[int, ...] = (30, 14, 9, 10, 8, 9, 5, 6, 5, 4)

SIZE_RANGES: tuple[tuple[int, int | None], ...] = (
    (1, 10),
    (11, 50),
    (51, 200),
    (201, 500),
    (501, 1000),
    (1001, 5000),
    (5001, 10000),
    (10001, None),
)
SIZE_WEIGHTS: tuple[int, ...] = (14, 24, 24, 14, 9, 9, 4, 2)

REVENUE_RANGES: tuple[tuple[int, int | None], ...] = (
    (0, 1_000_000),
    (1_000_000, 10_000_000),
    (10_000_000, 50_000_000),
    (50_000_000, 100_000_000),
    (100_000_000, 250_000_000),
    (250_000_000, 500_000_000),
    (500_000_000, 1_000_000_000),
    (1_000_000_000, 10_000_000_000),
    (10_000_000_000, None),
)

TECHNOLOGIES: tuple[str, ...] = (
    "Salesforce",
    "HubSpot",
    "Marketo",
    "Pardot",
    "Zendesk",
    "Intercom",
    "Slack",
    "Microsoft Teams",
    "Zoom",
    "Google Workspace",
    "Microsoft 365",
    "AWS",
    "Google Cloud",
    "Microsoft Azure",
    "Snowflake",
    "Databricks",
    "Tableau",
    "Looker",
    "Power BI",
    "Segment",
    "Mixpanel",
    "Amplitude",
    "Google Analytics",
    "Stripe",
    "Shopify",
    "Magento",
    "WordPress",
    "React",
    "Angular",
    "Vue.js",
    "Node.js",
    "Python",
    "Java",
    "Go",
    "Kubernetes",
    "Docker",
    "Terraform",
    "Datadog",
    "New Relic",
    "Sentry",
    "PagerDuty",
    "Okta",
    "Auth0",
    "Cloudflare",
    "Fastly",
    "Twilio",
    "SendGrid",
    "Mailchimp",
    "Outreach",
    "Salesloft",
    "Gong",
    "Lusha",
    "ZoomInfo",
    "Workday",
    "SAP",
    "Oracle",
    "NetSuite",
    "QuickBooks",
    "Jira",
    "Confluence",
    "GitHub",
    "GitLab",
)

INTENT_TOPICS: tuple[str, ...] = (
    "Cloud Migration",
    "Data Security",
    "Sales Enablement",
    "Marketing Automation",
    "CRM Software",
    "Customer Experience",
    "Data Analytics",
    "Artificial Intelligence",
    "Machine Learning",
    "Cybersecurity",
    "Remote Work",
    "DevOps",
    "Digital Transformation",
    "E-commerce Platforms",
    "Payment Processing",
    "Lead Generation",
    "Account-Based Marketing",
    "Talent Acquisition",
    "Employee Engagement",
    "Supply Chain Management",
    "ERP Software",
    "Compliance Management",
    "Identity Management",
    "Business Intelligence",
    "Video Conferencing",
    "Contact Center",
    "Sales Intelligence",
    "Data Enrichment",
    "Customer Data Platform",
    "Observability",
)

COMPANY_TYPES: tuple[str, ...] = (
    "Private Company",
    "Public Company",
    "Non Profit",
    "Educational",
    "Government",
    "Self Employed",
)
COMPANY_TYPE_WEIGHTS: tuple[int, ...] = (78, 12, 4, 3, 2, 1)
BUSINESS_MODELS: tuple[str, ...] = ("B2B", "B2C", "B2G")

FUNDING_ROUNDS: tuple[str, ...] = (
    "pre_seed",
    "seed",
    "series_a",
    "series_b",
    "series_c",
    "series_d",
    "series_e",
)
FUNDING_ROUND_LABELS: dict[str, str] = {
    "pre_seed": "Pre-Seed",
    "seed": "Seed",
    "series_a": "Series A",
    "series_b": "Series B",
    "series_c": "Series C",
    "series_d": "Series D",
    "series_e": "Series E",
}
FUNDING_NAMES: tuple[str, ...] = (
    "venture",
    "angel",
    "private_equity",
    "debt_financing",
    "grant",
    "crowdfunding",
)
INVESTORS: tuple[str, ...] = (
    "Sequoia Capital",
    "Accel",
    "Index Ventures",
    "Andreessen Horowitz",
    "Insight Partners",
    "Bessemer Venture Partners",
    "Lightspeed",
    "General Catalyst",
    "Tiger Global",
    "Y Combinator",
    "Balderton Capital",
    "Atomico",
)

EXISTING_DATA_POINTS: dict[str, str] = {
    "work_email": "has_work_email",
    "private_email": "has_private_email",
    "mobile_phone": "has_mobile_phone",
    "direct_phone": "has_direct_phone",
    "work_phone": "has_work_phone",
    "phone": "has_phone",
    "email": "has_email",
}
"""existingDataPoints filter values -> the contacts column that records them."""
