/** Who may call the admin RPCs (load and unload models) of either protocol. */
import type { Metadata } from '@grpc/grpc-js';
import { InferenceError } from '../errors/index.js';

/** Where admin RPCs are allowed: from HUB_ADMIN_TOKEN and the listen address. */
export interface AdminAccess {
  /** When set, load/unload need `authorization: Bearer <token>`. */
  readonly adminToken: string | undefined;
  /** Without a token, whether admin RPCs are open (only when the server listens on loopback). */
  readonly adminWithoutToken: boolean;
}

/**
 * The one admin token rule, for hub.inference.v1 LoadModel/UnloadModel and OIP's repository extension alike
 * (test/integration/kserve.test.ts checks both services answer alike).
 */
export function checkAdminAccess(access: AdminAccess, md: Metadata): void {
  if (!access.adminToken) {
    if (access.adminWithoutToken) return;
    throw new InferenceError('ADMIN_DISABLED', 'admin RPCs are disabled: set HUB_ADMIN_TOKEN (callers send "authorization: Bearer <token>"), or listen on a loopback address');
  }
  const got = md.get('authorization')[0];
  if (typeof got !== 'string' || got !== `Bearer ${access.adminToken}`) {
    throw new InferenceError('UNAUTHENTICATED', 'admin RPCs need metadata "authorization: Bearer <admin token>"');
  }
}

