-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "OrganizationKind" AS ENUM ('PROVIDER', 'RESELLER', 'COMPANY');

-- CreateEnum
CREATE TYPE "UserRole" AS ENUM ('PROVIDER_ADMIN', 'RESELLER_ADMIN', 'COMPANY_ADMIN', 'AUDITOR', 'MAILBOX_HOLDER');

-- CreateEnum
CREATE TYPE "DomainKind" AS ENUM ('PROVIDER_SHARED', 'COMPANY');

-- CreateEnum
CREATE TYPE "DnsVerificationState" AS ENUM ('PENDING', 'VERIFIED', 'FAILED');

-- CreateEnum
CREATE TYPE "HolderType" AS ENUM ('NATURAL_PERSON', 'LEGAL_PERSON', 'PUBLIC_ADMINISTRATION');

-- CreateEnum
CREATE TYPE "MailboxStatus" AS ENUM ('ACTIVE', 'SUSPENDED', 'EXPIRED', 'CEASED');

-- CreateEnum
CREATE TYPE "RenewalMode" AS ENUM ('MANUAL', 'AUTOMATIC');

-- CreateEnum
CREATE TYPE "OrdinaryMailPolicy" AS ENUM ('WRAP_IN_ANOMALIA', 'REFUSE');

-- CreateEnum
CREATE TYPE "RequestKind" AS ENUM ('ACTIVATION', 'RENEWAL');

-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED', 'PROVISIONED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "TrustedProviderSource" AS ENUM ('LDIF', 'MANUAL');

-- CreateEnum
CREATE TYPE "MessageDirection" AS ENUM ('OUTBOUND', 'INBOUND');

-- CreateEnum
CREATE TYPE "PecMessageKind" AS ENUM ('POSTA_CERTIFICATA', 'ANOMALIA', 'ACCETTAZIONE', 'NON_ACCETTAZIONE', 'PRESA_IN_CARICO', 'AVVENUTA_CONSEGNA', 'ERRORE_CONSEGNA', 'PREAVVISO_ERRORE_CONSEGNA', 'RILEVAZIONE_VIRUS');

-- CreateEnum
CREATE TYPE "PecMessageState" AS ENUM ('RECEIVED', 'ACCEPTED', 'NOT_ACCEPTED', 'COMPLETED');

-- CreateEnum
CREATE TYPE "ReceiptType" AS ENUM ('COMPLETA', 'BREVE', 'SINTETICA');

-- CreateEnum
CREATE TYPE "RecipientState" AS ENUM ('ACCEPTED', 'RELAYED', 'TAKEN_IN_CHARGE', 'DELIVERED', 'FAILED');

-- CreateTable
CREATE TABLE "organizations" (
    "id" UUID NOT NULL,
    "kind" "OrganizationKind" NOT NULL,
    "name" TEXT NOT NULL,
    "parent_id" UUID,
    "vat_number" TEXT,
    "fiscal_code" TEXT,
    "contact_email" TEXT,
    "require_totp_for_admins" BOOLEAN NOT NULL DEFAULT false,
    "may_approve_activations" BOOLEAN NOT NULL DEFAULT false,
    "mailbox_limit" INTEGER,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "display_name" TEXT,
    "role" "UserRole" NOT NULL,
    "organization_id" UUID NOT NULL,
    "mailbox_id" UUID,
    "password_hash" TEXT NOT NULL,
    "must_change_password" BOOLEAN NOT NULL DEFAULT false,
    "totp_secret" TEXT,
    "totp_enabled_at" TIMESTAMPTZ(3),
    "recovery_code_hashes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "last_login_at" TIMESTAMPTZ(3),
    "last_login_ip" TEXT,
    "failed_login_count" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "domains" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "DomainKind" NOT NULL,
    "organization_id" UUID NOT NULL,
    "verification_state" "DnsVerificationState" NOT NULL DEFAULT 'PENDING',
    "verification_token" TEXT,
    "last_checked_at" TIMESTAMPTZ(3),
    "verified_at" TIMESTAMPTZ(3),
    "dns_problems" JSONB NOT NULL DEFAULT '[]',
    "mailbox_limit" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "domains_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mailboxes" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "local_part" TEXT NOT NULL,
    "domain_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "holder_type" "HolderType" NOT NULL,
    "holder_name" TEXT NOT NULL,
    "holder_surname" TEXT,
    "holder_fiscal_code" TEXT,
    "holder_vat_number" TEXT,
    "holder_contact_email" TEXT,
    "status" "MailboxStatus" NOT NULL DEFAULT 'ACTIVE',
    "status_reason" TEXT,
    "quota_bytes" BIGINT NOT NULL,
    "used_bytes" BIGINT NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "renewal_mode" "RenewalMode" NOT NULL DEFAULT 'MANUAL',
    "password_hash" TEXT NOT NULL,
    "ordinary_mail_policy" "OrdinaryMailPolicy" NOT NULL DEFAULT 'WRAP_IN_ANOMALIA',
    "ceased_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "mailboxes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mailbox_requests" (
    "id" UUID NOT NULL,
    "kind" "RequestKind" NOT NULL,
    "status" "RequestStatus" NOT NULL DEFAULT 'DRAFT',
    "requested_address" TEXT,
    "domain_id" UUID,
    "mailbox_id" UUID,
    "plan" TEXT NOT NULL,
    "duration_years" INTEGER NOT NULL DEFAULT 1,
    "requester_organization_id" UUID NOT NULL,
    "requester_user_id" UUID,
    "decided_by_user_id" UUID,
    "decided_at" TIMESTAMPTZ(3),
    "decision_reason" TEXT,
    "signed_scan_path" TEXT,
    "signed_scan_sha256" TEXT,
    "signed_scan_name" TEXT,
    "form_data" JSONB NOT NULL DEFAULT '{}',
    "submitted_at" TIMESTAMPTZ(3),
    "provisioned_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "mailbox_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_certificates" (
    "id" UUID NOT NULL,
    "label" TEXT,
    "certificate_pem" TEXT NOT NULL,
    "chain_pem" TEXT,
    "private_key_pem" TEXT,
    "private_key_ref" TEXT,
    "sha1" CHAR(40) NOT NULL,
    "subject" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "serial_number" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "activated_at" TIMESTAMPTZ(3),
    "overlap_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_certificates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trusted_providers" (
    "id" UUID NOT NULL,
    "provider_name" TEXT NOT NULL,
    "provider_unit" TEXT,
    "mail_receipt" TEXT NOT NULL,
    "source" "TrustedProviderSource" NOT NULL,
    "source_dn" TEXT,
    "is_self" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "trusted_providers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trusted_provider_domains" (
    "id" UUID NOT NULL,
    "provider_id" UUID NOT NULL,
    "domain" TEXT NOT NULL,

    CONSTRAINT "trusted_provider_domains_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trusted_provider_certificates" (
    "id" UUID NOT NULL,
    "provider_id" UUID NOT NULL,
    "sha1" CHAR(40) NOT NULL,
    "der" BYTEA NOT NULL,
    "subject" TEXT,
    "not_before" TIMESTAMPTZ(3),
    "not_after" TIMESTAMPTZ(3),

    CONSTRAINT "trusted_provider_certificates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pec_messages" (
    "id" UUID NOT NULL,
    "identificativo" TEXT NOT NULL,
    "original_message_id" TEXT,
    "direction" "MessageDirection" NOT NULL,
    "kind" "PecMessageKind" NOT NULL,
    "state" "PecMessageState" NOT NULL DEFAULT 'RECEIVED',
    "sender" TEXT NOT NULL,
    "subject" TEXT,
    "receipt_type" "ReceiptType" NOT NULL DEFAULT 'COMPLETA',
    "size_bytes" BIGINT NOT NULL,
    "sender_mailbox_id" UUID,
    "counterpart_provider" TEXT,
    "spool_path" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pec_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pec_recipients" (
    "id" UUID NOT NULL,
    "message_id" UUID NOT NULL,
    "recipient" TEXT NOT NULL,
    "certified" BOOLEAN NOT NULL,
    "is_cc" BOOLEAN NOT NULL DEFAULT false,
    "state" "RecipientState" NOT NULL DEFAULT 'ACCEPTED',
    "counterpart_provider" TEXT,
    "relayed_at" TIMESTAMPTZ(3),
    "taken_in_charge_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "failure_reason" TEXT,
    "preavviso_due_at" TIMESTAMPTZ(3),
    "preavviso_sent_at" TIMESTAMPTZ(3),
    "mancata_consegna_due_at" TIMESTAMPTZ(3),
    "mancata_consegna_sent_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pec_recipients_pkey" PRIMARY KEY ("id")
);

-- CreateTable (edited by hand: a native table partitioned by month, see the end of this file)
CREATE TABLE "transmission_log" (
    "id" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "event_type" VARCHAR(64) NOT NULL,
    "identificativo" TEXT,
    "original_message_id" TEXT,
    "sender" TEXT,
    "recipient" TEXT,
    "counterpart_provider" TEXT,
    "outcome" VARCHAR(32),
    "details" JSONB,

    CONSTRAINT "transmission_log_pkey" PRIMARY KEY ("occurred_at","id")
) PARTITION BY RANGE ("occurred_at");

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_user_id" UUID,
    "actor_email" TEXT,
    "actor_role" "UserRole",
    "ip" TEXT,
    "user_agent" TEXT,
    "action" TEXT NOT NULL,
    "entity_type" TEXT,
    "entity_id" TEXT,
    "before" JSONB,
    "after" JSONB,
    "organization_id" UUID,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "system_settings" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "system_settings_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "organizations_parent_id_idx" ON "organizations"("parent_id");

-- CreateIndex
CREATE INDEX "organizations_kind_idx" ON "organizations"("kind");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "users_mailbox_id_key" ON "users"("mailbox_id");

-- CreateIndex
CREATE INDEX "users_organization_id_idx" ON "users"("organization_id");

-- CreateIndex
CREATE INDEX "users_role_idx" ON "users"("role");

-- CreateIndex
CREATE UNIQUE INDEX "domains_name_key" ON "domains"("name");

-- CreateIndex
CREATE INDEX "domains_organization_id_idx" ON "domains"("organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "mailboxes_address_key" ON "mailboxes"("address");

-- CreateIndex
CREATE INDEX "mailboxes_organization_id_idx" ON "mailboxes"("organization_id");

-- CreateIndex
CREATE INDEX "mailboxes_status_expires_at_idx" ON "mailboxes"("status", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "mailboxes_domain_id_local_part_key" ON "mailboxes"("domain_id", "local_part");

-- CreateIndex
CREATE INDEX "mailbox_requests_status_created_at_idx" ON "mailbox_requests"("status", "created_at");

-- CreateIndex
CREATE INDEX "mailbox_requests_requester_organization_id_status_idx" ON "mailbox_requests"("requester_organization_id", "status");

-- CreateIndex
CREATE INDEX "mailbox_requests_mailbox_id_idx" ON "mailbox_requests"("mailbox_id");

-- CreateIndex
CREATE UNIQUE INDEX "provider_certificates_sha1_key" ON "provider_certificates"("sha1");

-- CreateIndex
CREATE INDEX "provider_certificates_active_idx" ON "provider_certificates"("active");

-- CreateIndex
CREATE UNIQUE INDEX "trusted_providers_source_dn_key" ON "trusted_providers"("source_dn");

-- CreateIndex
CREATE INDEX "trusted_providers_provider_name_idx" ON "trusted_providers"("provider_name");

-- CreateIndex
CREATE INDEX "trusted_provider_domains_domain_idx" ON "trusted_provider_domains"("domain");

-- CreateIndex
CREATE UNIQUE INDEX "trusted_provider_domains_provider_id_domain_key" ON "trusted_provider_domains"("provider_id", "domain");

-- CreateIndex
CREATE INDEX "trusted_provider_certificates_sha1_idx" ON "trusted_provider_certificates"("sha1");

-- CreateIndex
CREATE UNIQUE INDEX "trusted_provider_certificates_provider_id_sha1_key" ON "trusted_provider_certificates"("provider_id", "sha1");

-- CreateIndex
CREATE INDEX "pec_messages_original_message_id_idx" ON "pec_messages"("original_message_id");

-- CreateIndex
CREATE INDEX "pec_messages_sender_created_at_idx" ON "pec_messages"("sender", "created_at");

-- CreateIndex
CREATE INDEX "pec_messages_state_created_at_idx" ON "pec_messages"("state", "created_at");

-- CreateIndex
CREATE INDEX "pec_messages_sender_mailbox_id_created_at_idx" ON "pec_messages"("sender_mailbox_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "pec_messages_identificativo_direction_key" ON "pec_messages"("identificativo", "direction");

-- CreateIndex
CREATE INDEX "pec_recipients_recipient_created_at_idx" ON "pec_recipients"("recipient", "created_at");

-- CreateIndex
CREATE INDEX "pec_recipients_state_preavviso_due_at_idx" ON "pec_recipients"("state", "preavviso_due_at");

-- CreateIndex
CREATE INDEX "pec_recipients_state_mancata_consegna_due_at_idx" ON "pec_recipients"("state", "mancata_consegna_due_at");

-- CreateIndex
CREATE INDEX "pec_recipients_state_next_attempt_at_idx" ON "pec_recipients"("state", "next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "pec_recipients_message_id_recipient_key" ON "pec_recipients"("message_id", "recipient");

-- CreateIndex
CREATE INDEX "transmission_log_sender_occurred_at_idx" ON "transmission_log"("sender", "occurred_at");

-- CreateIndex
CREATE INDEX "transmission_log_recipient_occurred_at_idx" ON "transmission_log"("recipient", "occurred_at");

-- CreateIndex
CREATE INDEX "transmission_log_identificativo_idx" ON "transmission_log"("identificativo");

-- CreateIndex
CREATE INDEX "transmission_log_original_message_id_idx" ON "transmission_log"("original_message_id");

-- CreateIndex
CREATE INDEX "transmission_log_event_type_occurred_at_idx" ON "transmission_log"("event_type", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events"("occurred_at");

-- CreateIndex
CREATE INDEX "audit_events_organization_id_occurred_at_idx" ON "audit_events"("organization_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_events_actor_user_id_occurred_at_idx" ON "audit_events"("actor_user_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_events_entity_type_entity_id_idx" ON "audit_events"("entity_type", "entity_id");

-- AddForeignKey
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_mailbox_id_fkey" FOREIGN KEY ("mailbox_id") REFERENCES "mailboxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "domains" ADD CONSTRAINT "domains_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mailboxes" ADD CONSTRAINT "mailboxes_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mailboxes" ADD CONSTRAINT "mailboxes_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mailbox_requests" ADD CONSTRAINT "mailbox_requests_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mailbox_requests" ADD CONSTRAINT "mailbox_requests_mailbox_id_fkey" FOREIGN KEY ("mailbox_id") REFERENCES "mailboxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mailbox_requests" ADD CONSTRAINT "mailbox_requests_requester_organization_id_fkey" FOREIGN KEY ("requester_organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mailbox_requests" ADD CONSTRAINT "mailbox_requests_requester_user_id_fkey" FOREIGN KEY ("requester_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mailbox_requests" ADD CONSTRAINT "mailbox_requests_decided_by_user_id_fkey" FOREIGN KEY ("decided_by_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trusted_provider_domains" ADD CONSTRAINT "trusted_provider_domains_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "trusted_providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trusted_provider_certificates" ADD CONSTRAINT "trusted_provider_certificates_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "trusted_providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pec_messages" ADD CONSTRAINT "pec_messages_sender_mailbox_id_fkey" FOREIGN KEY ("sender_mailbox_id") REFERENCES "mailboxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pec_recipients" ADD CONSTRAINT "pec_recipients_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "pec_messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ───── Transmission log partitions (hand-written) ─────
-- One partition per UTC month, named transmission_log_yYYYYmMM. Retention drops whole partitions
-- (lib/db/transmission-log.ts), never DELETEs rows. The DEFAULT partition is a safety net so a row
-- whose month has no partition yet is kept rather than refused; creating that month's partition
-- later moves such rows into it, so the default partition stays empty in normal operation.
CREATE TABLE "transmission_log_default" PARTITION OF "transmission_log" DEFAULT;

-- Name of the partition holding the UTC month that contains `instant`.
CREATE FUNCTION transmission_log_partition_name(instant timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT 'transmission_log_' || to_char(instant AT TIME ZONE 'UTC', '"y"YYYY"m"MM')
$$;

-- Creates the partition of the UTC month containing `instant` unless it exists, first moving that
-- month's rows out of the default partition (PostgreSQL refuses the new partition otherwise).
-- Returns true when it created the partition.
CREATE FUNCTION transmission_log_ensure_partition(instant timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  -- month arithmetic on timestamp (not timestamptz) so the session time zone and DST never shift bounds
  month_start timestamp := date_trunc('month', instant AT TIME ZONE 'UTC');
  lo timestamptz := month_start AT TIME ZONE 'UTC';
  hi timestamptz := (month_start + interval '1 month') AT TIME ZONE 'UTC';
  part text := transmission_log_partition_name(lo);
BEGIN
  -- concurrent callers (two processes starting) create each partition once
  PERFORM pg_advisory_xact_lock(hashtext('transmission_log_partitions'));
  IF to_regclass(format('public.%I', part)) IS NOT NULL THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM transmission_log_default WHERE occurred_at >= lo AND occurred_at < hi) THEN
    EXECUTE format('CREATE TABLE public.%I (LIKE public.transmission_log INCLUDING DEFAULTS)', part);
    EXECUTE format(
      'WITH moved AS (DELETE FROM public.transmission_log_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) '
      'INSERT INTO public.%I SELECT * FROM moved', lo, hi, part);
    EXECUTE format('ALTER TABLE public.transmission_log ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  ELSE
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.transmission_log FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  END IF;
  RETURN true;
END
$$;

-- Creates the partitions of the month of `from_instant` and the `months_ahead` following months,
-- plus one for every month with rows waiting in the default partition. Returns the names created.
CREATE FUNCTION transmission_log_ensure_partitions(from_instant timestamptz, months_ahead integer) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  first_month timestamp := date_trunc('month', from_instant AT TIME ZONE 'UTC');
  waiting timestamp[];
  m timestamp;
BEGIN
  FOR i IN 0..months_ahead LOOP
    m := first_month + make_interval(months => i);
    IF transmission_log_ensure_partition(m AT TIME ZONE 'UTC') THEN
      RETURN NEXT transmission_log_partition_name(m AT TIME ZONE 'UTC');
    END IF;
  END LOOP;
  SELECT array_agg(DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')) INTO waiting FROM transmission_log_default;
  FOREACH m IN ARRAY coalesce(waiting, ARRAY[]::timestamp[]) LOOP
    IF transmission_log_ensure_partition(m AT TIME ZONE 'UTC') THEN
      RETURN NEXT transmission_log_partition_name(m AT TIME ZONE 'UTC');
    END IF;
  END LOOP;
END
$$;

-- The monthly partitions with their bounds (the default partition excluded).
CREATE FUNCTION transmission_log_partitions() RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT c.relname::text, b[1]::timestamptz, b[2]::timestamptz
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') AS b
  WHERE i.inhparent = 'public.transmission_log'::regclass AND b IS NOT NULL
  ORDER BY 2
$$;

-- Last month, this month and the next two.
SELECT transmission_log_ensure_partitions(now() - interval '1 month', 3);
