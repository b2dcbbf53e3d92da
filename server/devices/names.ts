import { observationTopic } from '../../contract/index.js';

/**
 * The MQTT username of a device: `dev-<domain>.<id>`. Domains never contain a dot, so the first
 * dot ends the domain and no two (domain, id) pairs share a username.
 */
export function deviceUsername(domain: string, id: string): string {
  return `dev-${domain}.${id}`;
}

/** The one topic a device may publish to: `<root>/<domain>/<id>`. */
export function deviceTopic(topicRoot: string, domain: string, id: string): string {
  return observationTopic(domain, id, topicRoot);
}

/** The Mosquitto dynamic-security role holding a device's single ACL (one role per device). */
export function deviceRoleName(username: string): string {
  return `role-${username}`;
}
