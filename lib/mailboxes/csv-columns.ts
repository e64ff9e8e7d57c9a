/**
 * The mailbox CSV layout, shared by import and export so an export can be edited and imported
 * back. Headers are matched case-insensitively, in English or Italian.
 */
export const csvColumns = {
  address: ['address', 'indirizzo'],
  holderType: ['holder_type', 'tipo_titolare'],
  holderName: ['name', 'nome', 'ragione_sociale'],
  holderSurname: ['surname', 'cognome'],
  holderFiscalCode: ['fiscal_code', 'codice_fiscale'],
  holderVatNumber: ['vat_number', 'partita_iva'],
  holderContactEmail: ['contact_email', 'email_contatto'],
  quotaMb: ['quota_mb'],
  expiresOn: ['expires_on', 'scadenza'],
} as const;

export type CsvField = keyof typeof csvColumns;

export const requiredCsvFields: CsvField[] = ['address', 'holderType', 'holderName', 'quotaMb', 'expiresOn'];

/** Holder types as written in CSV: the enum value or a familiar Italian word. */
export const holderTypeAliases: Record<string, string> = {
  natural_person: 'NATURAL_PERSON',
  persona: 'NATURAL_PERSON',
  persona_fisica: 'NATURAL_PERSON',
  legal_person: 'LEGAL_PERSON',
  azienda: 'LEGAL_PERSON',
  persona_giuridica: 'LEGAL_PERSON',
  public_administration: 'PUBLIC_ADMINISTRATION',
  pa: 'PUBLIC_ADMINISTRATION',
  pubblica_amministrazione: 'PUBLIC_ADMINISTRATION',
};

/** Spreadsheet formula injection guard: a cell starting with = + - @ (or tab/CR) gets a leading quote. */
export function formulaSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
