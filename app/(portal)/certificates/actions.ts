'use server';
import { defineAction } from '@/lib/audit/server';
import { getConfig } from '@/lib/config';
import { activateCertificateSpec, uploadCertificateSpec } from './specs';

export const uploadCertificate = defineAction(uploadCertificateSpec(() => getConfig().provider.serviceAddress), {
  success: (r) => [r.stored.active ? 'certificates.uploadedActive' : 'certificates.uploadedNext', { sha1: r.stored.sha1 }],
  revalidate: ['/certificates'],
});

export const activateCertificate = defineAction(activateCertificateSpec, {
  success: (r) => ['certificates.activated', { sha1: r.stored.sha1 }],
  revalidate: ['/certificates'],
});
