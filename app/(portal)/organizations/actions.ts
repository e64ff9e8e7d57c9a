'use server';
import { defineAction } from '@/lib/audit/server';
import { createOrganizationSpec, updateOrganizationSpec } from './specs';

export const createOrganization = defineAction(createOrganizationSpec, {
  success: 'organizations.created',
  revalidate: ['/organizations', '/dashboard'],
});

export const updateOrganization = defineAction(updateOrganizationSpec, {
  success: 'organizations.updated',
  revalidate: ['/organizations'],
});
