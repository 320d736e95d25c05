/** @module common — identifiers, topics and the request envelope shared by both sockets. */
import { z } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// The protocol is written with `zod/mini` (functions instead of methods, tree-shakable): the agent, which
// validates only its own frames and config, then loads a fraction of zod. Mini has no default locale;
// English issue messages ("Too big: expected string to have <=64 characters"), as classic zod gives them.
z.config(en());

/** An opaque identifier (hosts, users, organizations, actions, streams): URL-safe, at most 64 chars. */
export const Id = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -'));
export type Id = z.infer<typeof Id>;

/** A request id chosen by the sender; the answer (`ack` or `error`) echoes it. */
export const RequestId = z.string().check(z.minLength(1), z.maxLength(64));
export type RequestId = z.infer<typeof RequestId>;

/** Milliseconds since the Unix epoch. */
export const Timestamp = z.int().check(z.nonnegative());

export const TOPIC_KINDS = ['org', 'host', 'action'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** A pub/sub topic: `org:<organizationId>`, `host:<hostId>` or `action:<actionId>`. */
export const Topic = z
  .string()
  .check(z.regex(/^(org|host|action):[A-Za-z0-9_-]{1,64}$/, 'must be org:<id>, host:<id> or action:<id>'));
export type Topic = z.infer<typeof Topic>;

export const topicFor = {
  org: (organizationId: string): Topic => `org:${organizationId}`,
  host: (hostId: string): Topic => `host:${hostId}`,
  action: (actionId: string): Topic => `action:${actionId}`,
} as const;

/** Splits a topic into its kind and id; undefined when it is not a valid topic. */
export function parseTopic(topic: string): { kind: TopicKind; id: string } | undefined {
  if (!Topic.safeParse(topic).success) return undefined;
  const at = topic.indexOf(':');
  return { kind: topic.slice(0, at) as TopicKind, id: topic.slice(at + 1) };
}

export const ROLES = ['owner', 'admin', 'operator', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 };

/** True when `role` is `minimum` or above (viewer < operator < admin < owner). */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

export const HOST_STATUSES = ['online', 'offline'] as const;
export const HostStatus = z.enum(HOST_STATUSES);
export type HostStatus = z.infer<typeof HostStatus>;
