'use client';
/**
 * The fields of the certificate upload: PEM (certificate, key, optional chain; each from a file or
 * pasted) or PKCS#12 (the file, read in the browser as base64, and its password).
 */
import { useState } from 'react';
import { useFieldError } from '@/app/components/action-form';
import { TextFileField } from '../providers/text-file-field';

type Labels = Record<'format' | 'pem' | 'p12' | 'certPem' | 'keyPem' | 'chainPem' | 'p12File' | 'p12Password' | 'file' | 'keyFile' | 'chainFile', string>;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function UploadFields({ labels }: { labels: Labels }) {
  const [format, setFormat] = useState<'pem' | 'p12'>('pem');
  const [p12, setP12] = useState('');
  const p12Error = useFieldError('p12Base64');
  return (
    <>
      <div>
        <label htmlFor="f-format" className="block text-sm font-medium text-slate-700">{labels.format}</label>
        <select
          id="f-format"
          name="format"
          value={format}
          onChange={(e) => setFormat(e.target.value === 'p12' ? 'p12' : 'pem')}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
        >
          <option value="pem">{labels.pem}</option>
          <option value="p12">{labels.p12}</option>
        </select>
      </div>
      {format === 'pem' ? (
        <>
          <TextFileField name="certPem" label={labels.certPem} fileLabel={labels.file} accept=".pem,.crt,.cer" rows={4} certificates required />
          <TextFileField name="keyPem" label={labels.keyPem} fileLabel={labels.keyFile} accept=".pem,.key" rows={4} required />
          <TextFileField name="chainPem" label={labels.chainPem} fileLabel={labels.chainFile} accept=".pem,.crt,.cer" rows={3} certificates />
        </>
      ) : (
        <>
          <div>
            <label htmlFor="f-p12" className="block text-sm font-medium text-slate-700">
              {labels.p12File}
              <span className="text-red-600"> *</span>
            </label>
            <input
              id="f-p12"
              type="file"
              accept=".p12,.pfx"
              onChange={async (e) => {
                const file = e.target.files?.[0];
                setP12(file ? toBase64(new Uint8Array(await file.arrayBuffer())) : '');
              }}
              className="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium"
            />
            <input type="hidden" name="p12Base64" value={p12} />
            {p12Error ? <p className="mt-1 text-xs text-red-600">{p12Error}</p> : null}
          </div>
          <div>
            <label htmlFor="f-password" className="block text-sm font-medium text-slate-700">{labels.p12Password}</label>
            <input id="f-password" name="password" type="password" autoComplete="off" className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm" />
          </div>
        </>
      )}
    </>
  );
}
