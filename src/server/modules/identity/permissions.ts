import { Forbidden } from '../../lib/errors.js';

export const ROLES = ['admin', 'release_manager', 'change_manager', 'approver', 'developer', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const everyone = ROLES;
const catalogEditors: Role[] = ['admin', 'release_manager'];
const auditReaders: Role[] = ['admin', 'auditor', 'change_manager', 'release_manager'];
const releaseManagers: Role[] = ['admin', 'release_manager'];

/**
 * The permission map: which roles hold which permission. Routes name the permission they need;
 * services check finer rules (e.g. "only your own token") with the same vocabulary.
 */
export const PERMISSIONS = {
  'profile:read': everyone,
  'service:read': everyone,
  'service:create': catalogEditors,
  'service:update': catalogEditors,
  'service:delete': catalogEditors,
  'environment:read': everyone,
  'environment:create': catalogEditors,
  'environment:update': catalogEditors,
  'environment:delete': catalogEditors,
  'team:read': everyone,
  'team:create': ['admin'],
  'team:update': ['admin'],
  'team:delete': ['admin'],
  'user:read': ['admin', 'auditor'],
  'user:create': ['admin'],
  'user:update': ['admin'],
  'token:read': everyone,
  'token:create': everyone,
  'token:revoke': everyone,
  'token:manage_all': ['admin'],
  'release:read': everyone,
  'release:create': releaseManagers,
  'release:update': releaseManagers,
  'release:delete': releaseManagers,
  // which role may make which status transition is configured per release type (release_transition_rules)
  'release:transition': releaseManagers,
  'release_rules:manage': ['admin'],
  'release_template:read': everyone,
  'release_template:write': releaseManagers,
  'gate:signoff': ['admin', 'release_manager', 'change_manager', 'approver'],
  'gate:waive': ['admin', 'release_manager', 'change_manager'],
  'gate:report_check': ['admin', 'release_manager', 'developer'],
  'work_item:read': everyone,
  'work_item:write': ['admin', 'release_manager', 'developer'],
  'deployment:read': everyone,
  'deployment:report': ['admin', 'release_manager', 'developer'],
  'deployment:map': ['admin', 'release_manager'],
  'calendar:read': everyone,
  'window:read': everyone,
  'window:write': ['admin', 'release_manager', 'change_manager'],
  // a freeze overridden for one change or deployment, with a reason (audited)
  'window:override': ['admin', 'change_manager'],
  'booking:read': everyone,
  'booking:request': ['admin', 'release_manager', 'change_manager', 'developer'],
  // who decides a given environment's bookings may be narrowed to its booking approver team
  'booking:decide': ['admin', 'release_manager', 'change_manager', 'approver'],
  'change:read': everyone,
  'change:create': ['admin', 'release_manager', 'change_manager', 'developer'],
  'change:update': ['admin', 'release_manager', 'change_manager', 'developer'],
  // the state machine checks the path and each transition's required fields on top
  'change:transition': ['admin', 'release_manager', 'change_manager', 'developer'],
  'change_template:write': ['admin', 'change_manager'],
  'approver_group:read': everyone,
  'approver_group:write': ['admin', 'change_manager'],
  // approval rounds of changes, decisions and delegations are visible to everyone
  'approval:read': everyone,
  // segregation of duties is checked on top: never the change's requester or assignee, admins included
  'change:approve': ['admin', 'change_manager', 'approver', 'release_manager'],
  'change:approval_rules': ['admin', 'change_manager'],
  // one's own delegations; others' need delegation:manage_all
  'delegation:write': everyone,
  'delegation:manage_all': ['admin'],
  'cab:read': everyone,
  'cab:write': ['admin', 'change_manager'],
  // governance profiles and their policies as code; evaluation and backtests only read
  'policy:read': everyone,
  'policy:write': ['admin', 'change_manager'],
  'audit:read': auditReaders,
  'audit:verify': ['admin', 'auditor'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export interface Actor {
  kind: 'user' | 'system';
  id: string | null;
  name: string;
  roles: Role[];
  teamIds: string[];
  serviceAccount: boolean;
  requestId: string | null;
}

export const systemActor = (name = 'system', requestId: string | null = null): Actor => ({
  kind: 'system',
  id: null,
  name,
  roles: ['admin'],
  teamIds: [],
  serviceAccount: false,
  requestId,
});

export function can(actor: Pick<Actor, 'roles'>, permission: Permission): boolean {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  return actor.roles.some((role) => allowed.includes(role));
}

export function assertCan(actor: Pick<Actor, 'roles'>, permission: Permission): void {
  if (!can(actor, permission)) {
    const roles = PERMISSIONS[permission].join(', ');
    throw new Forbidden(`This action needs the permission '${permission}', held by the roles: ${roles}.`, 'permission_denied', {
      permission,
    });
  }
}

export const permissionsOf = (roles: readonly Role[]): Permission[] =>
  (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can({ roles: [...roles] }, p));

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);
