-- The archived originals still on disk (mail/mta/message-state.ts, pruneArchivedOriginals): the
-- timers' prune pass reads only these rows, a couple of days of messages, not the whole history.
-- SQL only: Prisma's schema cannot express a partial index, and later diffs compare schema files.
CREATE INDEX "pec_messages_archived_original_idx" ON "pec_messages" ("created_at") WHERE "spool_path" IS NOT NULL;
