-- AlterTable
ALTER TABLE "trusted_providers" ADD COLUMN     "disabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "disabled_at" TIMESTAMPTZ(3);

