/** Provider signing certificates: checks, PKCS#12 reading, storage and rotation, test CA. */
export {
  checkSigningCertificate,
  describeCertificate,
  CertificateCheckError,
  type CertificateProblemCode,
  type CheckedCertificate,
  type SigningMaterial,
} from './signing-certificate';
export { readPkcs12, Pkcs12Error } from './pkcs12';
export {
  importSigningCertificate,
  rotateSigningCertificate,
  stageSigningCertificate,
  activateSigningCertificate,
  activeSigningMaterial,
  publishedSigningCertificates,
  listSigningCertificates,
  CertificateStoreError,
  type StoredCertificate,
  type ListedCertificate,
  type CertificateStatus,
} from './store';
export { createTestSigningCertificate, testPkiFiles, type TestPkiFiles } from './test-ca';
export { loadSigningMaterial, signingMaterialFromPem, type MaterialFiles } from './load-material';
