/** MQTT topic layout of wire contract v1: `<root>/<domain>/<id>` and `<root>/<domain>`; rejects on `ioc/rejected/<domain>`. */
export const DEFAULT_TOPIC_ROOT = 'city';
export const REJECTED_TOPIC_ROOT = 'ioc/rejected';

export interface ParsedTopic {
  domain: string;
  /** Present for `<root>/<domain>/<id>`; absent for the batch topic `<root>/<domain>`. */
  id?: string;
}

export function observationTopic(domain: string, id?: string, root = DEFAULT_TOPIC_ROOT): string {
  return id === undefined ? `${root}/${domain}` : `${root}/${domain}/${id}`;
}

export function rejectedTopic(domain: string, root = REJECTED_TOPIC_ROOT): string {
  return `${root}/${domain}`;
}

/** The subscription filters ingest needs, optionally as an MQTT 5 shared subscription. */
export function ingestSubscriptions(root = DEFAULT_TOPIC_ROOT, sharedGroup?: string): string[] {
  const filters = [`${root}/+`, `${root}/+/+`];
  return sharedGroup ? filters.map((f) => `$share/${sharedGroup}/${f}`) : filters;
}

/** Splits a received topic into domain and optional id; null when it is not under `root`. */
export function parseTopic(topic: string, root = DEFAULT_TOPIC_ROOT): ParsedTopic | null {
  if (!topic.startsWith(root + '/')) return null;
  const rest = topic.slice(root.length + 1);
  const slash = rest.indexOf('/');
  if (slash === -1) return rest.length > 0 ? { domain: rest } : null;
  const domain = rest.slice(0, slash);
  const id = rest.slice(slash + 1);
  if (domain.length === 0 || id.length === 0 || id.includes('/')) return null;
  return { domain, id };
}
