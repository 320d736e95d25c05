/** @module auth/tokens — session and agent JWTs: HS256 pinned, separate keys, each kind with its own aud/typ. */
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';

const ISSUER = 'hostwire';
const ALGORITHM = 'HS256';

const KINDS = {
  session: { audience: 'hostwire:session', typ: 'hostwire-session+jwt' },
  agent: { audience: 'hostwire:agent', typ: 'hostwire-agent+jwt' },
} as const;

const SessionClaims = z.object({ sub: z.string().min(1), sid: z.string().min(1) });
const AgentClaims = z.object({
  sub: z.string().min(1),
  org: z.string().min(1),
  ver: z.number().int().nonnegative(),
});

export type SessionClaims = { userId: string; sessionId: string; expiresAt: number };
export type AgentClaims = { hostId: string; organizationId: string; tokenVersion: number };

/** Why a token did not verify: `expired` or anything else (`invalid`). */
export type TokenFailure = 'expired' | 'invalid';
export type Verified<T> = { ok: true; claims: T } | { ok: false; reason: TokenFailure };

export function createTokenService(keys: { sessionJwt: Uint8Array; agentJwt: Uint8Array }) {
  async function verify(kind: keyof typeof KINDS, key: Uint8Array, token: string) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: KINDS[kind].audience,
        typ: KINDS[kind].typ,
      });
      return { ok: true as const, payload };
    } catch (error) {
      return {
        ok: false as const,
        reason: error instanceof errors.JWTExpired ? ('expired' as const) : ('invalid' as const),
      };
    }
  }

  return {
    async signSession(userId: string, sessionId: string, expiresAt: number): Promise<string> {
      return new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: KINDS.session.typ })
        .setIssuer(ISSUER)
        .setAudience(KINDS.session.audience)
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .sign(keys.sessionJwt);
    },
    async verifySession(token: string): Promise<Verified<SessionClaims>> {
      const result = await verify('session', keys.sessionJwt, token);
      if (!result.ok) return result;
      const claims = SessionClaims.safeParse(result.payload);
      if (!claims.success) return { ok: false, reason: 'invalid' };
      return {
        ok: true,
        claims: {
          userId: claims.data.sub,
          sessionId: claims.data.sid,
          expiresAt: (result.payload.exp ?? 0) * 1000,
        },
      };
    },
    /** Agent tokens do not expire by time; they die with the host or when its token version is bumped. */
    async signAgent(claims: AgentClaims): Promise<string> {
      return new SignJWT({ org: claims.organizationId, ver: claims.tokenVersion })
        .setProtectedHeader({ alg: ALGORITHM, typ: KINDS.agent.typ })
        .setIssuer(ISSUER)
        .setAudience(KINDS.agent.audience)
        .setSubject(claims.hostId)
        .setIssuedAt()
        .sign(keys.agentJwt);
    },
    async verifyAgent(token: string): Promise<Verified<AgentClaims>> {
      const result = await verify('agent', keys.agentJwt, token);
      if (!result.ok) return result;
      const claims = AgentClaims.safeParse(result.payload);
      if (!claims.success) return { ok: false, reason: 'invalid' };
      return {
        ok: true,
        claims: { hostId: claims.data.sub, organizationId: claims.data.org, tokenVersion: claims.data.ver },
      };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
