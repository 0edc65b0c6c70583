// Handlers of the sensors.* requests, answered by the gateway service (UNAVAILABLE without one:
// the twin database could not be opened, or the gateway failed to start).
import type { sensorMethods } from '../../shared/api/sensors';
import { AppError } from '../../shared/result';
import type { Handlers } from '../services/router';
import type { GatewayService } from './gateway-service';

export function sensorHandlers({
  gateway,
  unavailable,
}: {
  gateway: () => GatewayService | null;
  /** Why there is no gateway, in words. */
  unavailable?: () => string | null;
}): Pick<Handlers, keyof typeof sensorMethods> {
  const service = (): GatewayService => {
    const current = gateway();
    if (!current)
      throw new AppError(
        'UNAVAILABLE',
        `The sensor gateway is unavailable: ${unavailable?.() ?? 'the twin database is closed'}.`,
      );
    return current;
  };
  return {
    'sensors.status': () => service().status(),
    'sensors.configure': (patch) => service().configure(patch),
    'sensors.listMappings': (filter) => ({ mappings: service().listMappings(filter) }),
    'sensors.addMapping': (request) => service().addMapping(request),
    'sensors.updateMapping': (patch) => service().updateMapping(patch),
    'sensors.removeMapping': ({ id }) => ({ removed: service().removeMapping(id) }),
    'sensors.series': (request) => service().series(request),
    'sensors.listCredentials': () => ({ credentials: service().listCredentials() }),
    'sensors.setCredential': (request) => service().setCredential(request),
    'sensors.removeCredential': ({ username }) => ({ removed: service().removeCredential(username) }),
    'sensors.listRelayed': (filter) => ({ items: service().listRelayed(filter) }),
  };
}
