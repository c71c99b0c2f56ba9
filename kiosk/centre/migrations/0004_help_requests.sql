-- Staff calls (一键呼叫): POST /v1/help/request and /v1/help/status, written by the
-- shared register code (kiosk/central/sandbox/register.py, SqlRegister.help_*), the same
-- table as the sandbox's SQLite one. No personal data: the terminal, its outlet, the
-- screen's step and the times. (0003 is left for the card handles.)
CREATE TABLE IF NOT EXISTS help_requests (
  request_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, outlet TEXT NOT NULL,
  step TEXT NOT NULL, terminal_at TEXT NOT NULL, received_at TEXT NOT NULL,
  acknowledged_at TEXT, acknowledged_by TEXT);
CREATE INDEX IF NOT EXISTS help_requests_outlet ON help_requests (outlet, received_at);
