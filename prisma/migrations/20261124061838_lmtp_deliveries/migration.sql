-- CreateTable
CREATE TABLE "lmtp_deliveries" (
    "key_hash" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lmtp_deliveries_pkey" PRIMARY KEY ("key_hash")
);

-- CreateIndex
CREATE INDEX "lmtp_deliveries_stored_at_idx" ON "lmtp_deliveries"("stored_at");

