/** @module websocket/auth — who is upgrading: an agent (token for one host) or a browser (ticket or cookie). */
import type { IncomingMessage } from 'node:http';
import { Id, type ErrorCode, type Role } from '@hostwire/protocol';
import { parseCookie } from 'cookie';
import type { AppContext } from '../context.js';

/** The name of the browser session cookie (set by the HTTP API). */
export const SESSION_COOKIE = 'session';

export interface AgentPrincipal {
  kind: 'agent';
  hostId: string;
  organizationId: string;
  tokenVersion: number;
}

export interface ClientPrincipal {
  kind: 'client';
  userId: string;
  sessionId: string;
  /** When the session ends (ms); the socket is closed with 4001 then. */
  sessionExpiresAt: number;
  organizations: { id: string; name: string; role: Role }[];
}

export type Principal = AgentPrincipal | ClientPrincipal;

/**
 * The outcome of a handshake: a principal, or the HTTP status to refuse it with. `reason` is for the
 * server log only; `code` names the protocol error written in the refusal body.
 */
export type WebSocketAuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403 | 404; code: ErrorCode; reason: string };

const AGENT_PATH = /^\/ws\/agent\/([^/]+)$/;
const CLIENT_PATH = '/ws/client';

function refuse(status: 401 | 403 | 404, reason: string): WebSocketAuthResult {
  const code: ErrorCode = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'not_found';
  return { ok: false, status, code, reason };
}

/** `Authorization: Bearer <token>` (scheme case-insensitive), else undefined. */
function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Authenticates an upgrade request before the handshake completes.
 * - `/ws/agent/:hostId`: agent token (Bearer header or `?token=`); cookies are ignored.
 * - `/ws/client`: single-use `?ticket=`, or the `session` cookie when `Origin` is allowed.
 * Returns 401 for missing/invalid/expired credentials, 403 for a wrong/deleted/revoked host or a
 * disallowed Origin, 404 for any other path.
 */
export async function authenticateWebSocket(
  req: IncomingMessage,
  ctx: AppContext,
): Promise<WebSocketAuthResult> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://upgrade.invalid');
  } catch {
    return refuse(404, 'unparseable request target');
  }
  const agentMatch = AGENT_PATH.exec(url.pathname);
  if (agentMatch?.[1] !== undefined) return authenticateAgent(decodeSegment(agentMatch[1]), req, url, ctx);
  if (url.pathname === CLIENT_PATH) return authenticateClient(req, url, ctx);
  return refuse(404, 'unknown WebSocket path');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function authenticateAgent(
  pathHostId: string,
  req: IncomingMessage,
  url: URL,
  ctx: AppContext,
): Promise<WebSocketAuthResult> {
  if (!Id.safeParse(pathHostId).success) return refuse(404, 'host id in the path is not an id');
  const token = bearerToken(req.headers.authorization) ?? (url.searchParams.get('token') || undefined);
  if (token === undefined) return refuse(401, 'no agent token');
  const verified = await ctx.tokens.verifyAgent(token);
  if (!verified.ok) return refuse(401, `agent token ${verified.reason}`);
  const { claims } = verified;
  if (claims.hostId !== pathHostId) return refuse(403, 'agent token belongs to another host');
  const host = await ctx.domain.hosts.find(pathHostId);
  if (!host) return refuse(403, 'host was deleted');
  if (host.tokenVersion !== claims.tokenVersion) return refuse(403, 'agent token was revoked');
  if (host.organizationId !== claims.organizationId)
    return refuse(403, 'agent token names another organization');
  return {
    ok: true,
    principal: {
      kind: 'agent',
      hostId: host.id,
      organizationId: host.organizationId,
      tokenVersion: host.tokenVersion,
    },
  };
}

async function authenticateClient(
  req: IncomingMessage,
  url: URL,
  ctx: AppContext,
): Promise<WebSocketAuthResult> {
  const now = Date.now();
  if (url.searchParams.has('ticket')) {
    const ticket = url.searchParams.get('ticket') ?? '';
    const owner = ticket === '' ? undefined : await ctx.tickets.consume(ticket);
    if (!owner) return refuse(401, 'ticket unknown, used or expired');
    const session = await ctx.domain.sessions.findActive(owner.sessionId, now);
    if (!session || session.userId !== owner.userId) return refuse(401, 'the session of the ticket ended');
    return clientPrincipal(ctx, session.userId, session.id, session.expiresAt);
  }

  const cookieHeader = req.headers.cookie;
  const token = cookieHeader === undefined ? undefined : parseCookie(cookieHeader)[SESSION_COOKIE];
  if (!token) return refuse(401, 'no ticket and no session cookie');
  const origin = req.headers.origin;
  if (origin === undefined || !ctx.config.allowedOrigins.has(origin)) {
    return {
      ok: false,
      status: 403,
      code: 'origin_not_allowed',
      reason: `origin ${origin ?? '(none)'} is not allowed`,
    };
  }
  const verified = await ctx.tokens.verifySession(token);
  if (!verified.ok) return refuse(401, `session token ${verified.reason}`);
  const session = await ctx.domain.sessions.findActive(verified.claims.sessionId, now);
  if (!session || session.userId !== verified.claims.userId) return refuse(401, 'session ended');
  return clientPrincipal(
    ctx,
    session.userId,
    session.id,
    Math.min(session.expiresAt, verified.claims.expiresAt),
  );
}

async function clientPrincipal(
  ctx: AppContext,
  userId: string,
  sessionId: string,
  sessionExpiresAt: number,
): Promise<WebSocketAuthResult> {
  const memberships = await ctx.domain.sessions.memberships(userId);
  return {
    ok: true,
    principal: {
      kind: 'client',
      userId,
      sessionId,
      sessionExpiresAt,
      organizations: memberships.map((m) => ({
        id: m.organizationId,
        name: m.organizationName,
        role: m.role,
      })),
    },
  };
}
