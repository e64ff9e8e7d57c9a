-- CreateTable
CREATE TABLE "mailbox_notices" (
    "id" BIGSERIAL NOT NULL,
    "mailbox_id" UUID NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "recipient" TEXT,
    "subject" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "mailbox_notices_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "mailbox_notices_sent_at_created_at_idx" ON "mailbox_notices"("sent_at", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "mailbox_notices_mailbox_id_kind_expires_at_key" ON "mailbox_notices"("mailbox_id", "kind", "expires_at");

-- AddForeignKey
ALTER TABLE "mailbox_notices" ADD CONSTRAINT "mailbox_notices_mailbox_id_fkey" FOREIGN KEY ("mailbox_id") REFERENCES "mailboxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

