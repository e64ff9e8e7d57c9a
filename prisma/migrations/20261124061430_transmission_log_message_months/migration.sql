-- Auditor search by identificativo or Message-ID (hand-written: Prisma cannot express triggers).
-- Those references are indexed in every monthly partition, so a search over 30 months planned and
-- probed 31 partitions' indexes. This lookup says which months hold a reference: the search reads
-- it first, then only those months (lib/queries/transmission-log.ts).
--
-- It is derived data, like an index: a trigger keeps it, and it lives outside the public schema,
-- which the backup copies; a restore rebuilds it as its COPY into transmission_log fires the trigger.
CREATE SCHEMA "log_index";

-- A reference without the angle brackets a Message-ID is written with, so one probe serves both.
CREATE FUNCTION "log_index"."message_ref"(ref text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN ref LIKE '<%>' THEN substr(ref, 2, length(ref) - 2) ELSE ref END
$$;

-- (reference, first instant of a UTC month, as the partitions are cut) for every identificativo
-- and original Message-ID the log holds.
CREATE TABLE "log_index"."message_months" (
  "message_ref" text NOT NULL,
  "month_start" timestamptz NOT NULL
);

-- Notes the references of one partition (or of a bare table about to be attached as one, as the
-- bench generator does: ATTACH fires no trigger). A partition holds a single month (the default
-- one only months without a partition of their own), so no two partitions give the same pair.
CREATE FUNCTION "log_index"."note_partition"(part regclass) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  noted bigint;
BEGIN
  EXECUTE format(
    'INSERT INTO log_index.message_months (message_ref, month_start)
     SELECT DISTINCT r.ref, date_trunc(''month'', t.occurred_at AT TIME ZONE ''UTC'') AT TIME ZONE ''UTC''
       FROM %s t CROSS JOIN LATERAL (VALUES (log_index.message_ref(t.identificativo)),
                                            (log_index.message_ref(t.original_message_id))) AS r(ref)
      WHERE r.ref IS NOT NULL
     ON CONFLICT DO NOTHING', part);
  GET DIAGNOSTICS noted = ROW_COUNT;
  RETURN noted;
END
$$;

SELECT "log_index"."note_partition"(inhrelid::regclass) FROM pg_inherits
 WHERE inhparent = 'public.transmission_log'::regclass;

-- built after the backfill: one sort instead of millions of inserts into it
ALTER TABLE "log_index"."message_months" ADD PRIMARY KEY ("message_ref", "month_start");

-- Per row: the MTA writes one row per statement, where this costs a few tens of microseconds. The
-- pair is usually there already (every event of a message shares its references).
CREATE FUNCTION "log_index"."note_message_months"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO log_index.message_months (message_ref, month_start)
  SELECT r, date_trunc('month', NEW.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    FROM unnest(ARRAY[log_index.message_ref(NEW.identificativo), log_index.message_ref(NEW.original_message_id)]) AS r
   WHERE r IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER "transmission_log_message_months" AFTER INSERT ON "transmission_log"
  FOR EACH ROW EXECUTE FUNCTION "log_index"."note_message_months"();
