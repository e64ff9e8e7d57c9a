-- Inbound recipients are claimed by the reception transaction delivering them
-- (mail/mta/message-state.ts, beginInbound): a concurrent attempt at the same busta (its sender
-- retrying, to this MTA node or another) is told to try later instead of delivering it again.
-- AlterTable
ALTER TABLE "pec_recipients" ADD COLUMN     "claim" TEXT,
ADD COLUMN     "claimed_at" TIMESTAMPTZ(3);
