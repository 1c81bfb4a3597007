DROP TABLE lookalike_sessions;
DROP TABLE reveal_companies;
DROP TABLE reveal_contact_emails;
DROP TABLE reveal_contacts;
DROP TABLE budget_limits;
DROP TABLE budget_counters;
DROP TABLE used_tokens;
DROP TABLE calls;
