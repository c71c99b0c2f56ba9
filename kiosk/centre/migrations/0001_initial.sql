-- The centre's schema, version 1. Column orders match the sandbox's SQLite schemas
-- (kiosk/central/sandbox/{core,register,fleet_store}.py): the stores are one code.

-- ---- the simulated core card system (demo, tests, bench; a province's own core is
-- ---- reached through its adapter instead and these tables stay empty)
CREATE TABLE persons (
  person_ref TEXT PRIMARY KEY, persona TEXT, id_number TEXT UNIQUE NOT NULL,
  name TEXT NOT NULL, phone TEXT NOT NULL, bank TEXT);
CREATE TABLE cards (
  card_number TEXT PRIMARY KEY, person_ref TEXT NOT NULL, state TEXT NOT NULL,
  bank_function INTEGER NOT NULL, issued TEXT NOT NULL);
CREATE INDEX cards_person ON cards (person_ref);
CREATE TABLE card_history (
  id BIGSERIAL PRIMARY KEY, card_number TEXT NOT NULL, state TEXT NOT NULL, at TEXT NOT NULL,
  channel TEXT NOT NULL);
CREATE INDEX card_history_card ON card_history (card_number);
CREATE TABLE replacements (
  card_number TEXT PRIMARY KEY, replaces TEXT, person_ref TEXT NOT NULL, stage TEXT NOT NULL,
  applied_on TEXT NOT NULL, expected_on TEXT NOT NULL, outlet TEXT, ready_since TEXT,
  mailed INTEGER NOT NULL, tracking_number TEXT, bank_function INTEGER NOT NULL);
CREATE INDEX replacements_replaces ON replacements (replaces);
CREATE INDEX replacements_person ON replacements (person_ref);
CREATE TABLE stage_history (
  id BIGSERIAL PRIMARY KEY, card_number TEXT NOT NULL, stage TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX stage_history_card ON stage_history (card_number);
CREATE TABLE pre_losses (
  reference TEXT PRIMARY KEY, card_number TEXT NOT NULL, channel TEXT NOT NULL,
  terminal_id TEXT, at TEXT NOT NULL, lapses_on TEXT NOT NULL, cancelled_at TEXT,
  lapsed INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT);
CREATE INDEX pre_losses_card ON pre_losses (card_number);
CREATE TABLE cancellations (
  reference TEXT PRIMARY KEY, card_number TEXT NOT NULL, at TEXT NOT NULL,
  idempotency_key TEXT);
CREATE TABLE core_requests (
  idempotency_key TEXT NOT NULL, operation TEXT NOT NULL, answer TEXT NOT NULL,
  PRIMARY KEY (idempotency_key, operation));
CREATE TABLE essc_identities (
  person_ref TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE essc_codes (
  code_sha256 TEXT PRIMARY KEY, person_ref TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL,
  used_at DOUBLE PRECISION, used_by TEXT);

-- ---- the front-end's per-request state (kiosk/central/sandbox/register.py)
CREATE TABLE challenges (
  challenge_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, code TEXT NOT NULL,
  expires_at DOUBLE PRECISION NOT NULL, tries_left INTEGER NOT NULL,
  created DOUBLE PRECISION NOT NULL, terminal_id TEXT);
CREATE INDEX challenges_person ON challenges (person_ref);
CREATE INDEX challenges_created ON challenges (created);
CREATE TABLE idempotency (
  terminal_id TEXT NOT NULL, key TEXT NOT NULL, operation TEXT NOT NULL,
  body_sha256 TEXT NOT NULL, status INTEGER NOT NULL, response TEXT NOT NULL,
  at DOUBLE PRECISION NOT NULL, PRIMARY KEY (terminal_id, key));
CREATE TABLE nonces (
  terminal_id TEXT NOT NULL, nonce TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (terminal_id, nonce));
CREATE INDEX nonces_ts ON nonces (ts);
CREATE TABLE heartbeats (
  terminal_id TEXT PRIMARY KEY, clock TEXT, version TEXT, outbox_depth INTEGER,
  received TEXT, accepted INTEGER);
CREATE TABLE essc_grants (
  grant_sha256 TEXT PRIMARY KEY, person_ref TEXT NOT NULL, terminal_id TEXT NOT NULL,
  expires DOUBLE PRECISION NOT NULL);
-- Token buckets shared by every worker (kiosk/centre/limits.py). UNLOGGED: no WAL, so
-- no disk wait per request; a crash empties it (every bucket full again), which is fine.
CREATE UNLOGGED TABLE rate_buckets (
  name TEXT NOT NULL, key TEXT NOT NULL, tokens DOUBLE PRECISION NOT NULL,
  at DOUBLE PRECISION NOT NULL, ok BOOLEAN NOT NULL DEFAULT TRUE, PRIMARY KEY (name, key));

-- ---- the fleet register (kiosk/central/sandbox/fleet_store.py)
CREATE TABLE terminals (
  terminal_id TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  heartbeats INTEGER NOT NULL, version TEXT, config_hash TEXT, config_version INTEGER,
  rolled_back_from INTEGER, site TEXT, uptime_seconds DOUBLE PRECISION,
  heartbeat_seconds INTEGER, paused INTEGER, parts TEXT, counts TEXT,
  clock_skew_seconds DOUBLE PRECISION,
  -- for the fleet page's worst-first order and filters (the JSON has no spaces)
  failing BOOLEAN GENERATED ALWAYS AS (parts LIKE '%"light":"fail"%') STORED,
  warning BOOLEAN GENERATED ALWAYS AS (parts LIKE '%"light":"warn"%') STORED);
CREATE TABLE directives (
  seq BIGSERIAL PRIMARY KEY, id TEXT UNIQUE NOT NULL,
  terminal_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  created_at TEXT NOT NULL, acked_at TEXT, outcome TEXT, reason TEXT,
  rollout_id BIGINT);
CREATE INDEX directives_pending ON directives (terminal_id, seq) WHERE acked_at IS NULL;
CREATE INDEX directives_terminal ON directives (terminal_id);
CREATE INDEX directives_rollout ON directives (rollout_id);
CREATE TABLE bundles (
  directive_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, total INTEGER NOT NULL,
  sha256 TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 0, path TEXT, bytes INTEGER);
CREATE TABLE bundle_chunks (
  directive_id TEXT NOT NULL, idx INTEGER NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (directive_id, idx));

-- ---- the centre's own: enrolled terminals and their keys, operators, audit, history
CREATE TABLE enrolled (
  terminal_id TEXT PRIMARY KEY, outlet TEXT NOT NULL, region TEXT NOT NULL,
  site TEXT NOT NULL CHECK (site IN ('outlet', 'medical')),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(), revoked_at TIMESTAMPTZ);
CREATE INDEX enrolled_region ON enrolled (region);
CREATE INDEX enrolled_outlet ON enrolled (outlet);
-- Keys are wrapped (AES-256-GCM) with the master key, which is NOT in the database.
CREATE TABLE terminal_keys (
  terminal_id TEXT NOT NULL REFERENCES enrolled (terminal_id),
  key_id INTEGER NOT NULL, wrapped BYTEA NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(), not_after TIMESTAMPTZ,
  PRIMARY KEY (terminal_id, key_id));
CREATE TABLE operators (
  name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  token_sha256 TEXT UNIQUE NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  disabled_at TIMESTAMPTZ);
CREATE TABLE audit_log (
  id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now(), actor TEXT NOT NULL,
  action TEXT NOT NULL, terminals TEXT NOT NULL, detail TEXT NOT NULL, reason TEXT NOT NULL);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
-- Group directives and canaries (kiosk/centre/rollouts.py).
CREATE TABLE rollouts (
  id BIGSERIAL PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor TEXT NOT NULL, kind TEXT NOT NULL, fields TEXT NOT NULL, selector TEXT NOT NULL,
  canary INTEGER NOT NULL, wait_seconds INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('canary', 'rolling', 'done', 'stopped')),
  stop_reason TEXT, canary_started_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE rollout_targets (
  rollout_id BIGINT NOT NULL REFERENCES rollouts (id), terminal_id TEXT NOT NULL,
  canary BOOLEAN NOT NULL, directive_id TEXT,
  PRIMARY KEY (rollout_id, terminal_id));
CREATE INDEX rollout_targets_todo ON rollout_targets (rollout_id) WHERE directive_id IS NULL;
-- Heartbeat history, kept `retention_days` and pruned in batches: a row when a
-- terminal's lights, pause, version or outbox change, and one an hour otherwise
-- (history_marks holds each terminal's last written state).
CREATE TABLE history_marks (
  terminal_id TEXT PRIMARY KEY, sig TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
CREATE TABLE heartbeat_history (
  terminal_id TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, lights SMALLINT[] NOT NULL,
  outbox_depth INTEGER NOT NULL, paused BOOLEAN NOT NULL, version TEXT NOT NULL);
CREATE INDEX heartbeat_history_at ON heartbeat_history USING brin (at);
