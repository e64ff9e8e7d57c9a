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
