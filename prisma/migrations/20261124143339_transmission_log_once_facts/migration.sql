-- The keys of the transmission log facts the MTA states at most once (TransmissionEvent.once).
-- Checking for such a fact in the log itself meant probing the identificativo index of every monthly
-- partition: about 1 ms of server CPU per log INSERT with 6 partitions and 5 ms with 36 (30 months
-- of retention), and two concurrent writers could still both miss each other. One primary-key probe
-- here costs a fraction of that and settles concurrent writers (ON CONFLICT).
CREATE TABLE "transmission_log_once_facts" (
    "identificativo" TEXT NOT NULL,
    "event_type" VARCHAR(64) NOT NULL,
    "recipient" TEXT NOT NULL,
    "outcome" VARCHAR(32) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL
);

-- Hand-written backfill: until now any row already in the log suppressed a `once` row with the same
-- (type, identificativo, recipient, outcome), so every such key of the log so far is a fact on
-- record. A recipient-less fact keys on '' (a primary key column cannot be NULL).
INSERT INTO "transmission_log_once_facts" ("identificativo", "event_type", "recipient", "outcome", "occurred_at")
SELECT "identificativo", "event_type", COALESCE("recipient", ''), "outcome", max("occurred_at")
  FROM "transmission_log"
 WHERE "identificativo" IS NOT NULL AND "outcome" IS NOT NULL
 GROUP BY 1, 2, 3, 4;

-- built after the backfill: one sort instead of an index insert per row
ALTER TABLE "transmission_log_once_facts"
  ADD CONSTRAINT "transmission_log_once_facts_pkey" PRIMARY KEY ("identificativo","event_type","recipient","outcome");
