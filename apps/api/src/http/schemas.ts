/** @module http/schemas — request bodies and queries of the HTTP API. */
import {
  ActionName,
  ActionParamsInput,
  DisplayName,
  isSafeText,
  Role,
  UNSAFE_TEXT_MESSAGE,
} from '@hostwire/protocol';
import { z } from 'zod';

export const Email = z
  .string()
  .refine(isSafeText, UNSAFE_TEXT_MESSAGE)
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be a valid email address' }))
  .pipe(z.string().max(254));
export const Password = z.string().min(8, 'must be at least 8 characters').max(1024);
/** Every name people give (organizations, hosts, API tokens): the protocol's one `DisplayName`. */
export const Name = DisplayName;

export const SetupBody = z.object({
  email: Email,
  password: Password,
  organizationName: Name,
  /** The one-time code from the setup link (`DATA_DIR/setup-code` or `SETUP_CODE`). */
  setupCode: z.string().max(256).optional(),
});
export const LoginBody = z.object({
  email: Email,
  password: z.string().min(1).max(1024),
  /** A TOTP code or a recovery code, needed once two-factor sign-in is on. */
  code: z.string().max(64).optional(),
});
export const ChangePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: Password,
});
export const TotpCode = z.string().trim().min(1, 'must not be empty').max(64);
const CurrentPasswordForTotp = z
  .string({ error: 'your current password is required to turn on two-factor sign-in' })
  .min(1, 'your current password is required to turn on two-factor sign-in')
  .max(1024);
/** Turning two-factor on needs the current password too (a stolen session cannot lock the owner out). */
export const EnableTotpBody = z.strictObject({ code: TotpCode, password: CurrentPasswordForTotp });
export const DisableTotpBody = z.strictObject({ password: z.string().min(1).max(1024), code: TotpCode });
export const CreateOrgBody = z.object({ name: Name });
export const CreateHostBody = z.object({ name: Name });
export const EnrollBody = z.object({
  enrollmentToken: z.string().min(1).max(200),
  hostname: z.string().refine(isSafeText, UNSAFE_TEXT_MESSAGE).trim().min(1).max(256),
  os: z
    .object({ platform: z.string().max(64), release: z.string().max(128), arch: z.string().max(32) })
    .optional(),
  agentVersion: z.string().max(64).optional(),
});
/** People join by invitation: the body names an address and a role, never a password (strictly). */
export const InviteBody = z.strictObject({ email: Email, role: Role });
export const AcceptInvitationBody = z.strictObject({ password: Password.optional() });
export const UpdateMemberBody = z.object({ role: Role });
export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().positive().optional(),
  actorId: z.string().min(1).max(128).optional(),
  action: z.string().min(1).max(128).optional(),
  targetId: z.string().min(1).max(128).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;
export const MetricsQuery = z
  .object({
    from: z.coerce.number().int().nonnegative(),
    to: z.coerce.number().int().nonnegative(),
    step: z.coerce.number().int().positive().optional(),
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] });
export const RunActionBody = z.object({ action: ActionName, params: z._default(ActionParamsInput, {}) });
export const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
