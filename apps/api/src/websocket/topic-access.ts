/** @module websocket/topic-access — may this user follow this topic? Asked on every subscribe and re-check. */
import { parseTopic } from '@hostwire/protocol';
import { asSocketError } from '../auth/access.js';
import type { AppContext } from '../context.js';
import { ApiError, toApiError } from '../errors.js';

/**
 * Resolves when `userId` may follow `topic`: `org:<id>` needs a membership of that organization,
 * `host:<id>` a membership of the host's organization, `action:<id>` one of its host's organization.
 * Throws an ApiError otherwise; "does not exist" and "not yours" are both `forbidden` on a socket.
 */
export async function authorizeTopic(ctx: AppContext, userId: string, topic: string): Promise<void> {
  try {
    const parsed = parseTopic(topic);
    if (!parsed) throw new ApiError('bad_request', `"${topic}" is not a topic`);
    switch (parsed.kind) {
      case 'org':
        await ctx.access.requireOrgRole(userId, parsed.id, 'viewer');
        return;
      case 'host':
        await ctx.access.requireHost(userId, parsed.id, 'viewer');
        return;
      case 'action': {
        const hostId = await ctx.domain.actions.hostOf(parsed.id);
        if (!hostId) throw new ApiError('not_found', 'Action not found');
        await ctx.access.requireHost(userId, hostId, 'viewer');
        return;
      }
    }
  } catch (error) {
    throw toApiError(asSocketError(error));
  }
}
