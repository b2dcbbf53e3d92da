import { createHash } from 'node:crypto';
import { conflict, type PushSubscriptionJson } from '../../contract/index.js';
import type { StateStore, StoredRecord } from '../state/types.js';

/*
 * Browsers' push subscriptions, one record per endpoint (`push_subscription`, ref = username). An
 * endpoint belongs to one browser profile: whoever subscribes it last owns it.
 */

export interface StoredPushSubscription extends PushSubscriptionJson {
  id: string;
  username: string;
  at: number;
}

/** At most this many subscriptions per user (phones, desktops): the oldest beyond it are not used. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20;

export interface PushSubscriptions {
  /** Saves (or moves to `username`) the subscription of an endpoint; answers its id. */
  save(username: string, subscription: PushSubscriptionJson, now: number): Promise<StoredPushSubscription>;
  /** Removes the endpoint if it belongs to `username`; false when there was none. */
  remove(username: string, endpoint: string): Promise<boolean>;
  get(id: string): Promise<StoredPushSubscription | undefined>;
  /** Removes by id (the push service said it is gone). */
  drop(id: string): Promise<void>;
  ofUser(username: string): Promise<StoredPushSubscription[]>;
}

/** The id of an endpoint's record (a digest: endpoints are long URLs). */
export function subscriptionId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('base64url').slice(0, 32);
}

const parse = (record: StoredRecord) => JSON.parse(record.json) as StoredPushSubscription;

export function createPushSubscriptions(state: StateStore): PushSubscriptions {
  const recordOf = (sub: StoredPushSubscription, version: number, now: number): StoredRecord => ({
    kind: 'push_subscription',
    id: sub.id,
    version,
    key: sub.id,
    ref: sub.username,
    at: sub.at,
    updatedAt: now,
    open: true,
    json: JSON.stringify(sub),
  });
  return {
    async save(username, subscription, now) {
      const id = subscriptionId(subscription.endpoint);
      const sub: StoredPushSubscription = { ...subscription, id, username, at: now };
      // Insert, or replace what is stored (new keys, new owner); a lost race is retried once from the winner's version.
      for (let round = 0; round < 3; round += 1) {
        const existing = await state.getRecord('push_subscription', id);
        if (existing === undefined) {
          if (await state.insertRecord(recordOf(sub, 1, now))) return sub;
        } else if (await state.casRecord(recordOf(sub, existing.version + 1, now), existing.version)) {
          return sub;
        }
      }
      throw conflict('The subscription changed meanwhile; try again.');
    },
    async remove(username, endpoint) {
      const id = subscriptionId(endpoint);
      const existing = await state.getRecord('push_subscription', id);
      if (existing === undefined || parse(existing).username !== username) return false;
      return state.deleteRecord('push_subscription', id);
    },
    async get(id) {
      const record = await state.getRecord('push_subscription', id);
      return record && parse(record);
    },
    async drop(id) {
      await state.deleteRecord('push_subscription', id);
    },
    async ofUser(username) {
      return (await state.listRecords('push_subscription', { ref: username, limit: MAX_SUBSCRIPTIONS_PER_USER })).map(
        parse,
      );
    },
  };
}
