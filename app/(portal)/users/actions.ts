'use server';
import { defineAction } from '@/lib/audit/server';
import { createUserSpec, resetUserPasswordSpec, setUserDisabledSpec } from './specs';

export const createUser = defineAction(createUserSpec, {
  success: (r) => ['users.created', { password: r.password }],
  revalidate: ['/users'],
});

export const resetUserPassword = defineAction(resetUserPasswordSpec, {
  success: (r) => ['users.passwordReset', { email: r.email, password: r.password }],
});

export const setUserDisabled = defineAction(setUserDisabledSpec, {
  success: (r) => [r.disabled ? 'users.disabledNow' : 'users.enabledNow'],
  revalidate: ['/users'],
});
