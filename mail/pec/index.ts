/**
 * Public API of the PEC engine (pure: no SMTP, database or file system).
 */

// Build side: daticert, time, identifiers, signing, message builders.
export * from './daticert';
export * from './time';
export * from './identifiers';
export { createSigner, type Signer, type SignerInput, type SignedEntity } from './smime-sign';
export * from './build/types';
export { describeOriginal, factsFromDaticert, requestedReceipt, type DescribeOriginalInput } from './build/facts';
export { postacertOf } from './build/postacert';
export { breveCopy } from './build/breve';
export { buildBustaTrasporto, type BustaInput } from './build/busta';
export {
  buildAccettazione,
  buildNonAccettazione,
  nonAccettazioneCauses,
  type NonAccettazioneCause,
  type NonAccettazioneInput,
} from './build/accettazione';
export { buildPresaInCarico, type PresaInCaricoInput } from './build/presa-in-carico';
export {
  buildAvvenutaConsegna,
  buildMancataConsegna,
  deliveryReceiptType,
  type AvvenutaConsegnaInput,
  type MancataConsegnaInput,
} from './build/consegna';
export { buildTimeoutNotice, type TimeoutNoticeInput } from './build/timeout';
export { buildRilevazioneVirus, type RilevazioneVirusInput } from './build/virus';
export { buildBustaAnomalia, type AnomaliaInput } from './build/anomalia';
export {
  buildDeliveryStatus,
  smtpFailureStatus,
  type BuiltDeliveryStatus,
  type DeliveryStatusInput,
  type FailedRecipient,
} from './build/dsn';

// Read side: MIME reader, signature verification, provider index, inspection.
export { toCrlf } from './mime-write';
export { readMime, decodeBody, decodeText, walkEntities, type MimeEntity, type MimeMessage } from './mime';
export {
  verifyCms,
  verifySignedMessage,
  signatureErrorCodes,
  type SignatureErrorCode,
  type SignatureVerdict,
  type SignedMessage,
  type VerifyOptions,
} from './smime-verify';
export {
  ProviderIndex,
  parseProviderLdif,
  providerIndexFromCertificates,
  formatProviderLdif,
  type ProviderRecord,
  type ProviderLdifInput,
  type ParsedProviderIndex,
} from './provider-index';
export { createTrustStore, mergeTrustStores, readTrustMaterial, TrustMaterialError, type TrustStore, type TrustMaterial } from './trust-store';
export { inspectMessage, inspectReportJson, pecKinds, type PecKind, type InspectReport, type InspectJson, type InspectOptions } from './inspect';
