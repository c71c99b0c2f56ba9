-- Card handles (kiosk/central/sandbox/handles.py; numbered after 0004, which landed
-- first): a terminal identifies a person by the chip facts of their ID card or of a
-- social security card, and gets sealed card handles instead of card numbers; the e-SSC
-- answers handles too, so its grants are gone.

-- The simulated core: what an ID card's chip says (checked against a lookup) and the
-- identification code each card's chip was made with (kiosk.personas.card_chip_id).
ALTER TABLE persons ADD COLUMN id_valid_from TEXT, ADD COLUMN id_valid_to TEXT,
  ADD COLUMN id_authority TEXT;
ALTER TABLE cards ADD COLUMN chip_id TEXT;
-- Rows seeded before these columns cannot be identified: the simulated core seeds its
-- personas again when it finds no person (a province's own core is not in these tables).
DELETE FROM core_requests;
DELETE FROM essc_codes;
DELETE FROM essc_identities;
DELETE FROM cancellations;
DELETE FROM pre_losses;
DELETE FROM stage_history;
DELETE FROM replacements;
DELETE FROM card_history;
DELETE FROM cards;
DELETE FROM persons;

-- The register's secrets table (the sandbox keeps its card handles' key there). The
-- centre derives that key from its master key instead (CentreBackend.handle_key), so a
-- dump of this database can neither open nor make a handle: the table stays empty here.
CREATE TABLE service_secrets (
  name TEXT PRIMARY KEY, secret TEXT NOT NULL);
DROP TABLE essc_grants;
