// Return codes for Haraka hooks (the package ships no types).
declare module 'haraka-constants' {
  export const cont: number;
  export const stop: number;
  export const deny: number;
  export const denysoft: number;
  export const denydisconnect: number;
  export const disconnect: number;
  export const ok: number;
}

// Enhanced status replies: Haraka answers with a DSN's own code where it honours one (MAIL/RCPT).
declare module 'haraka-dsn' {
  class DSN {
    code: number;
    reply: string;
    static mbox_full(msg?: string, code?: number): DSN;
    static sys_unspecified(msg?: string, code?: number): DSN;
  }
  export = DSN;
}
