/** The portal password policy: at least 12 characters, not the login e-mail itself. */
export const minPasswordLength = 12;

/** null when acceptable, else the dictionary key of the reason. */
export function passwordPolicyProblem(password: string, email: string): string | null {
  if (password.length < minPasswordLength) return 'password.tooShort';
  const local = email.split('@')[0]?.toLowerCase();
  const lower = password.toLowerCase();
  if (lower === email.toLowerCase() || (local !== undefined && lower === local)) return 'password.equalsEmail';
  return null;
}
