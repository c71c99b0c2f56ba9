-- Requests refused with 429, by rate limit (kiosk/centre/lookup_watch.py
-- PgLookupWatch.refused): one row per limit, incremented in one upsert by whichever
-- worker refused, so the centre's /metrics serves the province's count
-- (kiosk_centre_rate_limited_total{limit}). The limit's name only (terminal, id_number,
-- card_number; the CHECK keeps it a short name): no terminal, card or ID number.
-- A counter: never reset, never pruned (three rows).
CREATE TABLE rate_limited (
  limit_name TEXT PRIMARY KEY CHECK (limit_name ~ '^[a-z_]{1,32}$'),
  refused BIGINT NOT NULL DEFAULT 0);
