-- The fleet page and the canary ask "silent?" of every terminal: keep the answer's
-- moment in a column (a text → timestamptz cast per row per page load cost ~30 ms at
-- 10,000 terminals). Kept by a trigger, so the shared register code (which also runs on
-- SQLite) writes last_seen as before.
ALTER TABLE terminals ADD COLUMN silent_after TIMESTAMPTZ;
CREATE FUNCTION terminals_silent_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.silent_after := NEW.last_seen::timestamptz
    + make_interval(secs => 3 * COALESCE(NEW.heartbeat_seconds, 60));
  RETURN NEW;
END $$;
CREATE TRIGGER terminals_silent_after BEFORE INSERT OR UPDATE OF last_seen, heartbeat_seconds
  ON terminals FOR EACH ROW EXECUTE FUNCTION terminals_silent_after();
UPDATE terminals SET silent_after = last_seen::timestamptz
  + make_interval(secs => 3 * COALESCE(heartbeat_seconds, 60));
