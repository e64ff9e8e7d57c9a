/** zod helpers for values arriving from HTML forms (strings, empty fields, checkboxes). */
import { z } from 'zod';

/** An optional text field: '' → undefined. */
export const optionalText = (max = 200) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().max(max).optional());

/** A checkbox: 'on'/'true'/true → true, absent → false. */
export const checkbox = z.preprocess((v) => v === true || v === 'on' || v === 'true', z.boolean());

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[^\s@<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/);

export const optionalEmail = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  emailField.optional(),
);

/** An optional positive integer field ('' → undefined). */
export const optionalPositiveInt = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z.coerce.number().int().positive().max(10_000_000).optional(),
);
