/** @module actions/command-verifier — checks a signed `command` frame before anything runs. */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ActionCommand, Id } from '@hostwire/protocol/agent';
import { AgentExitError } from '../errors.js';
import type { CommandLedger } from '../outbox/command-ledger.js';
import { LedgerWriteError } from '../outbox/command-ledger.js';

/** Why a command was refused; `replay` is answered differently (the first delivery already reported). */
export type Refusal = {
  ok: false;
  reason: 'bad_signature' | 'malformed' | 'wrong_host' | 'expired' | 'replay' | 'storage';
  message: string;
  /** The command's actionId when the payload names a well-formed one. */
  actionId?: string;
};

export type Verdict = { ok: true; command: ActionCommand } | Refusal;

export interface VerifierContext {
  publicKey: KeyObject;
  hostId: string;
  /** Clock difference tolerated on `expiresAt` (ms). */
  skewMs: number;
  ledger: CommandLedger;
  now?: number;
}

/** Loads the API's Ed25519 command key (SPKI PEM); INVALID_CONFIG when it is not one. */
export function loadCommandKey(pem: string): KeyObject {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // fall through to the error below
  }
  throw new AgentExitError(
    'INVALID_CONFIG',
    'commandPublicKey is not an Ed25519 public key in SPKI PEM format',
  );
}

function claimedActionId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { actionId?: unknown }).actionId;
  return Id.safeParse(id).success ? (id as string) : undefined;
}

/**
 * In order: the Ed25519 signature over the payload's UTF-8 bytes, the ActionCommand schema, the
 * host id, the expiry (with `skewMs` slack), and finally that (kind, actionId) was never seen — the
 * id is recorded on disk in the same step, so a command is accepted at most once, even across restarts.
 */
export function verifyCommand(frame: { payload: string; signature: string }, ctx: VerifierContext): Verdict {
  let raw: unknown;
  try {
    raw = JSON.parse(frame.payload);
  } catch {
    raw = undefined;
  }
  const actionId = claimedActionId(raw);
  let signed = false;
  try {
    signed = verify(
      null,
      Buffer.from(frame.payload, 'utf8'),
      ctx.publicKey,
      Buffer.from(frame.signature, 'base64url'),
    );
  } catch {
    signed = false;
  }
  if (!signed)
    return { ok: false, reason: 'bad_signature', message: 'command signature is invalid', actionId };
  const parsed = ActionCommand.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      reason: 'malformed',
      message: 'command payload is not a valid ActionCommand',
      actionId,
    };
  const command = parsed.data;
  if (command.hostId !== ctx.hostId) {
    return { ok: false, reason: 'wrong_host', message: 'command is addressed to another host', actionId };
  }
  const now = ctx.now ?? Date.now();
  if (command.expiresAt + ctx.skewMs <= now) {
    return { ok: false, reason: 'expired', message: 'command has expired', actionId };
  }
  let fresh: boolean;
  try {
    fresh = ctx.ledger.remember(command.kind, command.actionId, command.expiresAt, now);
  } catch (error) {
    if (!(error instanceof LedgerWriteError)) throw error;
    return { ok: false, reason: 'storage', message: error.message, actionId };
  }
  if (!fresh) {
    return {
      ok: false,
      reason: 'replay',
      message: `command ${command.kind} ${command.actionId} was already received`,
      actionId,
    };
  }
  return { ok: true, command };
}
