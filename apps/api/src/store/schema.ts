/** @module store/schema — the tables as Kysely sees them (timestamps are milliseconds since the epoch). */
import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: number;
  /** Sealed TOTP secret (auth/secret-box), pending until `totp_enabled_at` is set (007). */
  totp_secret: string | null;
  totp_enabled_at: number | null;
  /** The last accepted TOTP time step: a code is never accepted twice. */
  totp_last_step: number | null;
  /** 1 for an instance administrator (may create organizations under ORG_CREATION=admins), else 0 (009). */
  instance_admin: number;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  role: string;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface HostsTable {
  id: string;
  organization_id: string;
  name: string;
  status: string;
  last_seen_at: number | null;
  created_at: number;
  enrolled_at: number | null;
  token_version: number;
  /** JSON of the agent's last `hello` (AgentInfo). */
  agent_info: string | null;
  /** JSON of the latest HostSummary. */
  summary: string | null;
  /** Highest metrics seq stored for this host. */
  last_seq: number;
  /** `<instanceId>:<epoch>` of the connection holding the agent while online (domain/presence). */
  presence_owner: string | null;
  /** When the holding instance's lease on the host lapses unless renewed. */
  presence_expires_at: number | null;
}

export interface EnrollmentTokensTable {
  token_hash: string;
  host_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  organization_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  decision: string;
  details: string | null;
  ip: string | null;
  created_at: number;
  /** The actor's name when it was recorded (an API token's name); null for users (006). */
  actor_name: string | null;
}

export interface MetricSamplesTable {
  host_id: string;
  seq: number;
  ts: number;
  /** JSON of the series values (SeriesValues). */
  values_json: string;
}

export interface MetricRollupsTable {
  host_id: string;
  resolution: string;
  bucket: number;
  /** JSON: per series {min,max,sum,count,last,lastTs}. */
  values_json: string;
}

export interface ActionsTable {
  id: string;
  host_id: string;
  organization_id: string;
  user_id: string | null;
  action: string;
  params: string;
  status: string;
  exit_code: number | null;
  error: string | null;
  /** Unused since 003 (output lives in action_output); kept empty. */
  output: string;
  output_bytes: number;
  /** Chunks appended to action_output so far (the next chunk's seq). */
  output_chunks: number;
  output_truncated: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The `action.run` audit row, completed with the outcome when the result arrives. */
  audit_id: number | null;
}

export interface ActionOutputTable {
  action_id: string;
  seq: number;
  data: string;
}

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  role: string;
  token_hash: string;
  invited_by: string | null;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
  revoked_at: number | null;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface UserIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  email: string;
  created_at: number;
  last_login_at: number | null;
}

export interface ApiTokensTable {
  id: string;
  organization_id: string;
  name: string;
  role: string;
  /** SHA-256 (hex) of the token; the token itself is shown once and never stored. */
  token_hash: string;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface ContainerSamplesTable {
  host_id: string;
  seq: number;
  ts: number;
  /** JSON: per container name, its CONTAINER_SERIES values in that order. */
  values_json: string;
}

export interface ContainerRollupsTable {
  host_id: string;
  resolution: string;
  bucket: number;
  /** JSON: per container name, per series {min,max,sum,count,last,lastTs}. */
  values_json: string;
}

export interface HostContainersTable {
  host_id: string;
  ts: number;
  /** JSON: the ContainerInfo list of the newest stored sample. */
  containers_json: string;
}

export interface AlertRulesTable {
  id: string;
  organization_id: string;
  name: string;
  /** JSON of the AlertCondition. */
  condition: string;
  for_seconds: number;
  /** JSON array of host ids; null: every host of the organization. */
  host_ids: string | null;
  /** JSON array of channel ids. */
  channel_ids: string;
  severity: string;
  created_at: number;
  updated_at: number;
}

export interface NotificationChannelsTable {
  id: string;
  organization_id: string;
  name: string;
  type: string;
  /** JSON of the channel's config, secrets included (never returned by the API). */
  config: string;
  created_at: number;
  updated_at: number;
}

export interface AlertsTable {
  id: string;
  organization_id: string;
  rule_id: string;
  rule_name: string;
  /** The rule's condition kind when the alert opened. */
  kind: string;
  host_id: string;
  host_name: string;
  /** The container of a container condition; '' otherwise. */
  container: string;
  severity: string;
  state: string;
  value: number | null;
  started_at: number;
  fired_at: number | null;
  resolved_at: number | null;
  updated_at: number;
}

export interface AlertDeliveriesTable {
  /** Also the `webhook-id` of every attempt. */
  id: string;
  organization_id: string;
  channel_id: string;
  alert_id: string | null;
  event: string;
  /** The JSON body sent (the same on every attempt). */
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface AlertDeliveryAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface AlertLeasesTable {
  name: string;
  owner: string;
  expires_at: number;
}

export interface Database {
  users: UsersTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  hosts: HostsTable;
  enrollment_tokens: EnrollmentTokensTable;
  audit_events: AuditEventsTable;
  metric_samples: MetricSamplesTable;
  metric_rollups: MetricRollupsTable;
  actions: ActionsTable;
  action_output: ActionOutputTable;
  invitations: InvitationsTable;
  recovery_codes: RecoveryCodesTable;
  user_identities: UserIdentitiesTable;
  api_tokens: ApiTokensTable;
  container_samples: ContainerSamplesTable;
  container_rollups: ContainerRollupsTable;
  host_containers: HostContainersTable;
  alert_rules: AlertRulesTable;
  notification_channels: NotificationChannelsTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_delivery_attempts: AlertDeliveryAttemptsTable;
  alert_leases: AlertLeasesTable;
}
