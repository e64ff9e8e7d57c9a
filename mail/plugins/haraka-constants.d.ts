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
