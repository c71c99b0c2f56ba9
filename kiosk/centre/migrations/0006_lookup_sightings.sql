-- The distinct-people watch (kiosk/centre/lookup_watch.py): who asked about whom, per
-- terminal, so every worker counts the same and the centre's /metrics can list the
-- terminals that ask about many different people. The person is a keyed digest (hex;
-- the key derived from the master key, outside the database), never a number or name.
-- `at` is epoch seconds, as in rate_buckets; rows past the hour are pruned by the janitor.
CREATE TABLE lookup_sightings (
  terminal_id TEXT NOT NULL, digest TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (terminal_id, digest));
CREATE INDEX lookup_sightings_at ON lookup_sightings (at);
