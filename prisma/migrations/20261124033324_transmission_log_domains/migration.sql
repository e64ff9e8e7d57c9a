-- Auditor log search by domain (hand-written: Prisma cannot express expression indexes, so the
-- schema and its snapshot do not change). A row belongs to a domain through its sender or its
-- recipient; lib/queries/transmission-log.ts compares exactly these expressions, and orders by
-- (occurred_at, id) so a page is read straight off the index.
CREATE INDEX "transmission_log_sender_domain_idx"
  ON "transmission_log" (lower(split_part("sender", '@', -1)), "occurred_at", "id");

CREATE INDEX "transmission_log_recipient_domain_idx"
  ON "transmission_log" (lower(split_part("recipient", '@', -1)), "occurred_at", "id");
