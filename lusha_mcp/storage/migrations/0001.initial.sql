-- The team-mode schema: ledger, budget counters and overrides, used confirmation tokens,
-- the reveal cache and lookalike dedupe sessions.

CREATE TABLE calls (
    id BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    day DATE NOT NULL,
    session TEXT NOT NULL,
    user_key TEXT,
    teams TEXT[] NOT NULL DEFAULT '{}',
    tool TEXT NOT NULL,
    arguments_hash TEXT NOT NULL,
    quote BIGINT NOT NULL,
    charged BIGINT,
    request_id TEXT,
    outcome TEXT NOT NULL,
    note TEXT,
    host TEXT,
    pid INTEGER
);
CREATE INDEX calls_day ON calls (day);
CREATE INDEX calls_session ON calls (session);
CREATE INDEX calls_pending ON calls (created_at) WHERE outcome = 'pending';

CREATE TABLE used_tokens (
    token_id TEXT PRIMARY KEY,
    used_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    call_id BIGINT
);

-- What each budget scope has spent: per UTC day (the database's clock) for the account, a team
-- or a user; period 'session' for a client session's budget.
CREATE TABLE budget_counters (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    period TEXT NOT NULL,
    spent BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, key, period)
);

-- `lusha-mcp budgets set`: a daily budget for one user, team or the account, over the settings.
CREATE TABLE budget_limits (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    daily BIGINT NOT NULL CHECK (daily >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key)
);

CREATE TABLE reveal_contacts (
    id TEXT PRIMARY KEY,
    fields JSONB NOT NULL,
    data JSONB NOT NULL,
    linkedin TEXT,
    company_domain TEXT,
    stored_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX reveal_contacts_linkedin ON reveal_contacts (linkedin);
CREATE INDEX reveal_contacts_domain ON reveal_contacts (company_domain);
CREATE INDEX reveal_contacts_stored ON reveal_contacts (stored_at);

CREATE TABLE reveal_contact_emails (
    contact_id TEXT NOT NULL REFERENCES reveal_contacts (id) ON DELETE CASCADE,
    email TEXT NOT NULL
);
CREATE INDEX reveal_contact_emails_email ON reveal_contact_emails (email);
CREATE INDEX reveal_contact_emails_contact ON reveal_contact_emails (contact_id);

CREATE TABLE reveal_companies (
    id TEXT PRIMARY KEY,
    domain TEXT,
    extras JSONB NOT NULL,
    data JSONB NOT NULL,
    stored_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX reveal_companies_domain ON reveal_companies (domain);
CREATE INDEX reveal_companies_stored ON reveal_companies (stored_at);

CREATE TABLE lookalike_sessions (
    account TEXT NOT NULL,
    entity TEXT NOT NULL,
    name TEXT NOT NULL,
    dedupe_session_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    last_used_at DOUBLE PRECISION NOT NULL,
    results INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, entity, name)
);
