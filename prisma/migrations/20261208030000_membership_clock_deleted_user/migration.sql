-- A membership row for a user who does not exist (a deleted account's token still in use)
-- must be refused by the foreign key (23503), which every caller turns into INVALID_TOKEN.
-- The BEFORE INSERT trigger of 20261206020000_membership_clock ran first and, finding no users
-- row, set joined_clock to NULL: a NOT NULL violation (23502) that answered 500 instead.
-- Now the trigger numbers the row only when the user exists and leaves it to the foreign key
-- otherwise; for every existing user nothing changes.
CREATE OR REPLACE FUNCTION "membership_clock_tick"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  k integer;
BEGIN
  UPDATE "users" SET "membership_clock" = "membership_clock" + 1 WHERE "id" = NEW."user_id"
    RETURNING "membership_clock" INTO k;
  IF FOUND THEN
    NEW."joined_clock" := k;
  END IF;
  RETURN NEW;
END
$$;
