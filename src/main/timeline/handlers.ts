// Handlers of the timeline requests (entries, and the element's on-chain proof) and of the roles
// requests; UNAVAILABLE, with the reason, when the twin database (and so sync) is not open.
import type { rolesMethods } from '../../shared/api/roles';
import type { timelineMethods } from '../../shared/api/timeline';
import { AppError } from '../../shared/result';
import type { Handlers } from '../services/router';
import type { RoleService } from '../roles/role-service';
import type { TimelineService } from './timeline-service';
import { verifyElement, type VerificationSources } from './element-verification';

export function timelineHandlers({
  timeline,
  verification,
  unavailable,
}: {
  timeline: TimelineService | null;
  verification: VerificationSources | null;
  unavailable?: string | null;
}): Pick<Handlers, keyof typeof timelineMethods> {
  const missing = () =>
    new AppError(
      'UNAVAILABLE',
      `The timeline is unavailable: ${unavailable ?? 'the twin database is closed'}.`,
    );
  return {
    'timeline.list': (query) => {
      if (!timeline) throw missing();
      return timeline.list(query);
    },
    'timeline.verifyElement': (request) => {
      if (!verification) throw missing();
      return verifyElement(verification, request);
    },
  };
}

export function roleHandlers({
  roles,
  unavailable,
}: {
  roles: RoleService | null;
  unavailable?: string | null;
}): Pick<Handlers, keyof typeof rolesMethods> {
  const service = (): RoleService => {
    if (!roles)
      throw new AppError(
        'UNAVAILABLE',
        `Roles are unavailable: ${unavailable ?? 'the twin database is closed'}.`,
      );
    return roles;
  };
  return {
    'roles.list': ({ twinId }) => service().list(twinId),
    'roles.grant': (request) => service().grant(request),
    'roles.revoke': (request) => service().revoke(request),
    'roles.endEngagement': (request) => service().endEngagement(request),
  };
}
