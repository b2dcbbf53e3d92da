import { randomUUID } from 'node:crypto';
import type { Delivery, NotifyChannel, Report } from '../../contract/index.js';
import type { NotifyConfig } from '../../config/field-schema.js';
import type { Logger } from '../../config/logger.js';
import type { StateStore, StoredRecord } from '../state/types.js';
import { loadAckTokens, type AckTokens } from './ack-tokens.js';
import { createEmailChannel } from './channels/email.js';
import { createPushChannel, loadVapidKeys } from './channels/push.js';
import { createTelegramChannel } from './channels/telegram.js';
import type { Channel } from './channels/types.js';
import { createWebhookChannel } from './channels/webhook.js';
import { createZaloChannel } from './channels/zalo.js';
import {
  backoffMs,
  cleanError,
  DeliveryError,
  deliveryKey,
  docOf,
  OPEN_STATES,
  recordOf,
  toDelivery,
  type DeliveryDoc,
} from './delivery-record.js';
import { createPushSubscriptions, type PushSubscriptions } from './push-subscriptions.js';
import { resolveTargets, resolveTestTarget, type Plan, type ResolveContext } from './resolve-targets.js';
import type { NotificationsQuery, Notifier, NotifyMessage } from './types.js';

/*
 * The one delivery path. A delivery is a `delivery` record keyed by (dedupe key, channel,
 * address), so inserting it twice fails on every node and after restarts: that insert is the
 * "no duplicate sends" guarantee. It is sent at once by the node that made it; a failure is
 * retried with doubling backoff by whichever node's retry loop claims it first (compare-and-set
 * of a lease), so two nodes never send the same attempt.
 */

export interface NotifierDeps {
  config: NotifyConfig;
  state: StateStore;
  logger: Logger;
  /** Base of links in test messages. */
  publicUrl: () => string;
  clock?: () => number;
}

/** The notifier with what the routes and tests need besides the Notifier interface. */
export interface NotifierService extends Notifier {
  /** The VAPID public key browsers subscribe with (base64url). */
  vapidPublicKey(): string;
  subscriptions: PushSubscriptions;
  ackTokens: AckTokens;
  /** One delivery as stored (routes: the Telegram callback finds whom a button press acts for). */
  getDelivery(id: string): Promise<DeliveryDoc | undefined>;
  /** Claims and sends every due open delivery of every node; resolves with how many it attempted. */
  runDue(): Promise<number>;
  /** Sends a test message through one channel to `target` (defaults from `actor`'s contacts). */
  sendTest(channel: NotifyChannel, target: string | undefined, actor: string): Promise<Delivery[]>;
  /** Every configured secret, for checks that none leaks. */
  secrets(): string[];
  /** Outcomes of this node's attempts since start, by channel and state (for /metrics). */
  stats(): { channel: NotifyChannel; state: 'sent' | 'failed' | 'retrying'; count: number }[];
  /** Deletes finished deliveries older than `notify.keep` (a bounded batch); answers how many. */
  prune(now?: number): Promise<number>;
}

/** Finished deliveries deleted per prune pass, and how often a pass runs. */
const PRUNE_BATCH = 1000;
const PRUNE_INTERVAL_MS = 3_600_000;

/** Open deliveries read per page, pages per pass (newest first, so a backlog's oldest are reached too), sent at once. */
const DUE_PAGE = 1000;
const DUE_PAGES = 10;
const CONCURRENCY = 8;

/** Open deliveries, walking back from the newest page by page (bounded). */
async function openDeliveries(state: StateStore): Promise<StoredRecord[]> {
  const found: StoredRecord[] = [];
  const seen = new Set<string>();
  let to: number | undefined;
  for (let page = 0; page < DUE_PAGES; page += 1) {
    const records = await state.listRecords('delivery', {
      open: true,
      limit: DUE_PAGE,
      ...(to !== undefined ? { to } : {}),
    });
    const fresh = records.filter((record) => !seen.has(record.id));
    for (const record of fresh) seen.add(record.id);
    found.push(...fresh);
    const oldest = records.at(-1);
    // `to` is inclusive: the next page repeats the oldest moment, so it ends when nothing new comes.
    if (records.length < DUE_PAGE || fresh.length === 0 || oldest === undefined) break;
    to = oldest.at;
  }
  return found;
}

/** Loads keys (made on first start), builds the configured channels and answers the notifier. */
export async function createNotifier(deps: NotifierDeps): Promise<NotifierService> {
  const { config, state, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const timeoutMs = config.timeout;
  // Long enough for one attempt to finish; a node that dies mid-send lets others retry after it.
  const leaseMs = timeoutMs + 30_000;
  const [vapid, ackTokens] = await Promise.all([loadVapidKeys(state), loadAckTokens(state)]);
  const subscriptions = createPushSubscriptions(state);

  const channels: Partial<Record<NotifyChannel, Channel>> = {
    push: createPushChannel({
      subscriptions,
      vapid,
      subject: config.push.subject,
      ttlMs: config.push.ttl,
      ackTokens,
      clock,
      ...(config.push.allowedHosts ? { allowedHosts: config.push.allowedHosts } : {}),
    }),
    ...(config.webhooks.length > 0 ? { webhook: createWebhookChannel({ webhooks: config.webhooks, clock }) } : {}),
    ...(config.email
      ? { email: createEmailChannel({ smtpUrl: config.email.smtpUrl, from: config.email.from, timeoutMs }) }
      : {}),
    ...(config.telegram
      ? {
          telegram: createTelegramChannel({
            botToken: config.telegram.botToken,
            apiUrl: config.telegram.apiUrl,
            ackTokens,
          }),
        }
      : {}),
    ...(config.zalo
      ? { zalo: createZaloChannel({ accessToken: config.zalo.accessToken, apiUrl: config.zalo.apiUrl }) }
      : {}),
  };
  const secrets = secretsOf(config, vapid.privateKey);

  let started = false;
  let closed = false;
  let loop: NodeJS.Timeout | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work)).catch(() => undefined);
    return work;
  };

  const outcomes = new Map<string, { channel: NotifyChannel; state: 'sent' | 'failed' | 'retrying'; count: number }>();
  const count = (channel: NotifyChannel, outcome: 'sent' | 'failed' | 'retrying') => {
    const key = `${channel}|${outcome}`;
    const entry = outcomes.get(key) ?? { channel, state: outcome, count: 0 };
    entry.count += 1;
    outcomes.set(key, entry);
  };
  let pruneLoop: NodeJS.Timeout | undefined;
  async function prune(now: number): Promise<number> {
    const old = await state.listRecords('delivery', { open: false, to: now - config.keep, limit: PRUNE_BATCH });
    let deleted = 0;
    for (const record of old) if (await state.deleteRecord('delivery', record.id)) deleted += 1;
    return deleted;
  }

  /** Sends a claimed delivery once and stores the outcome (from the claimed version). */
  async function attempt(record: StoredRecord, doc: DeliveryDoc): Promise<DeliveryDoc> {
    let failure: { error: string; final: boolean } | undefined;
    try {
      const channel = channels[doc.channel];
      if (channel === undefined)
        throw new DeliveryError(`channel "${doc.channel}" is not configured (notify.${doc.channel})`, true);
      await channel.send(doc, AbortSignal.timeout(timeoutMs));
    } catch (err) {
      failure = { error: cleanError(err, secrets), final: err instanceof DeliveryError && err.final };
    }
    const now = clock();
    const attempts = doc.attempts + 1;
    const { leaseUntil: _lease, nextAttemptAt: _next, lastError: _last, ...rest } = doc;
    let next: DeliveryDoc;
    if (failure === undefined) next = { ...rest, attempts, state: 'sent', sentAt: now };
    else if (failure.final || attempts >= config.retry.attempts)
      next = { ...rest, attempts, state: 'failed', lastError: failure.error };
    else
      next = {
        ...rest,
        attempts,
        state: 'retrying',
        lastError: failure.error,
        nextAttemptAt: now + backoffMs(attempts, config.retry.backoff, config.retry.maxBackoff),
      };
    if (!(await state.casRecord(recordOf(next, record.version + 1, record.key, now), record.version))) {
      logger.warn('delivery outcome not stored: another node took it over', { delivery: doc.id, channel: doc.channel });
      return next;
    }
    count(doc.channel, next.state === 'sent' ? 'sent' : next.state === 'failed' ? 'failed' : 'retrying');
    if (failure !== undefined) {
      logger.warn('notification not delivered', {
        delivery: doc.id,
        channel: doc.channel,
        target: doc.target,
        attempts,
        state: next.state,
        error: failure.error,
      });
    }
    if (next.state === 'retrying' && next.nextAttemptAt !== undefined) scheduleRetry(next.nextAttemptAt - now);
    return next;
  }

  /** Retries on this node when its own delivery is due, without waiting for the next pass. */
  function scheduleRetry(waitMs: number): void {
    if (!started || closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void tick();
    }, waitMs + 5);
    timer.unref();
    timers.add(timer);
  }

  /** Inserts the deliveries of one call (a key already present is skipped) and sends the new ones. */
  async function deliver(
    message: NotifyMessage,
    plans: readonly Plan[],
    dedupeKey: string,
    body?: string,
  ): Promise<Delivery[]> {
    const now = clock();
    const made = await Promise.all(
      plans.map(async (plan) => {
        const doc: DeliveryDoc = {
          id: randomUUID(),
          kind: message.kind,
          itemId: message.itemId,
          event: message.event,
          channel: plan.channel,
          target: plan.target,
          address: plan.address,
          ...(plan.username !== undefined ? { username: plan.username } : {}),
          message,
          ...(body !== undefined ? { body } : {}),
          at: now,
          attempts: 0,
          ...(plan.error !== undefined
            ? { state: 'failed' as const, lastError: plan.error }
            : { state: 'queued' as const, leaseUntil: now + leaseMs }),
        };
        const record = recordOf(doc, 1, deliveryKey(dedupeKey, plan.channel, plan.address), now);
        if (!(await state.insertRecord(record))) return undefined;
        if (plan.error !== undefined) count(plan.channel, 'failed');
        return plan.error !== undefined ? doc : track(attempt(record, doc));
      }),
    );
    return made.filter((doc): doc is DeliveryDoc => doc !== undefined).map(toDelivery);
  }

  async function runDue(): Promise<number> {
    const now = clock();
    const due = (await openDeliveries(state))
      .map((record) => ({ record, doc: docOf(record) }))
      .filter(({ doc }) => (doc.nextAttemptAt ?? doc.at) <= now && (doc.leaseUntil ?? 0) <= now)
      .sort((a, b) => (a.doc.nextAttemptAt ?? a.doc.at) - (b.doc.nextAttemptAt ?? b.doc.at));
    let attempted = 0;
    for (let i = 0; i < due.length && !closed; i += CONCURRENCY) {
      await Promise.all(
        due.slice(i, i + CONCURRENCY).map(async ({ record, doc }) => {
          const claimed: DeliveryDoc = { ...doc, leaseUntil: now + leaseMs };
          const claimedRecord = recordOf(claimed, record.version + 1, record.key, now);
          if (!(await state.casRecord(claimedRecord, record.version))) return;
          attempted += 1;
          await track(attempt(claimedRecord, claimed));
        }),
      );
    }
    return attempted;
  }

  let ticking: Promise<void> | undefined;
  let again = false;
  /** One pass at a time per node; a pass asked for meanwhile runs once after it. */
  function tick(): Promise<void> {
    if (closed) return Promise.resolve();
    if (ticking !== undefined) {
      again = true;
      return ticking;
    }
    ticking = runDue()
      .then(
        () => undefined,
        (err: Error) => logger.error('delivery retry pass failed', { error: err.message }),
      )
      .finally(() => {
        ticking = undefined;
        if (again) {
          again = false;
          void tick();
        }
      });
    return ticking;
  }

  const context: ResolveContext = { config, state, subscriptions, configured: (c) => channels[c] !== undefined };

  const service: NotifierService = {
    start() {
      if (started) return;
      started = true;
      loop = setInterval(() => void tick(), config.retry.checkInterval);
      loop.unref();
      pruneLoop = setInterval(() => {
        prune(clock()).catch((err: unknown) =>
          logger.warn('delivery log not pruned', { error: (err as Error).message }),
        );
      }, PRUNE_INTERVAL_MS);
      pruneLoop.unref();
      void tick();
    },
    stats() {
      return [...outcomes.values()].map((entry) => ({ ...entry }));
    },
    prune: (now = clock()) => prune(now),
    async close() {
      closed = true;
      if (loop) clearInterval(loop);
      if (pruneLoop) clearInterval(pruneLoop);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inflight]);
      for (const channel of Object.values(channels)) channel.close?.();
    },
    async notify(message, targets, dedupeKey) {
      return deliver(message, await resolveTargets(targets, context), dedupeKey);
    },
    async publish(event, item, dedupeKey) {
      const hooks = config.webhooks.filter((hook) => hook.events.includes(event));
      if (hooks.length === 0) return [];
      // A report never leaves with its contact, whatever the caller passed.
      const data = item.kind === 'report' ? withoutContact(item.item) : item.item;
      const body = JSON.stringify({
        type: event,
        timestamp: new Date(clock()).toISOString(),
        data: { kind: item.kind, ...data },
      });
      const message: NotifyMessage = {
        kind: item.kind,
        itemId: item.item.id,
        event,
        title: event,
        body: '',
        url: '',
        ackable: false,
      };
      return deliver(
        message,
        hooks.map((hook) => ({ channel: 'webhook', address: hook.id, target: hook.id })),
        dedupeKey,
        body,
      );
    },
    async list(query: NotificationsQuery) {
      const ref = query.alertId ?? query.reportId;
      const kind = query.alertId !== undefined ? 'alert' : query.reportId !== undefined ? 'report' : undefined;
      const open = query.state === undefined ? undefined : OPEN_STATES.includes(query.state);
      const filtered = query.state !== undefined || query.channel !== undefined || kind !== undefined;
      // Filters the store cannot apply are applied to a larger page, bounded.
      const page = filtered ? Math.min(query.limit * 5, 5000) : query.limit;
      const records = await state.listRecords('delivery', {
        ...(ref !== undefined ? { ref } : {}),
        ...(open !== undefined ? { open } : {}),
        limit: page,
      });
      return records
        .map(docOf)
        .filter(
          (doc) =>
            (kind === undefined || doc.kind === kind) &&
            (query.state === undefined || doc.state === query.state) &&
            (query.channel === undefined || doc.channel === query.channel),
        )
        .slice(0, query.limit)
        .map(toDelivery);
    },
    channels: () => (Object.keys(channels) as NotifyChannel[]).filter((c) => channels[c] !== undefined),
    vapidPublicKey: () => vapid.publicKey,
    subscriptions,
    ackTokens,
    async getDelivery(id) {
      const record = await state.getRecord('delivery', id);
      return record && docOf(record);
    },
    runDue,
    async sendTest(channel, target, actor) {
      const itemId = `test-${randomUUID()}`;
      const message: NotifyMessage = {
        kind: 'test',
        itemId,
        event: 'test',
        title: 'Thử thông báo / Test notification',
        body: `Kênh ${channel} hoạt động. / The ${channel} channel works. (${actor})`,
        url: deps.publicUrl(),
        ackable: false,
      };
      const plans = await resolveTestTarget(channel, target, actor, context);
      return deliver(message, plans, itemId);
    },
    secrets: () => [...secrets],
  };
  return service;
}

function withoutContact(report: Omit<Report, 'contact'>): Omit<Report, 'contact'> {
  const { contact: _contact, ...rest } = report as Report;
  return rest;
}

/** Every secret the configuration holds (and the VAPID private key), to keep them out of errors. */
function secretsOf(config: NotifyConfig, vapidPrivateKey: string): string[] {
  const secrets = [vapidPrivateKey];
  for (const hook of config.webhooks) secrets.push(hook.secret, hook.secret.replace(/^whsec_/, ''));
  if (config.telegram)
    secrets.push(config.telegram.botToken, ...(config.telegram.webhookSecret ? [config.telegram.webhookSecret] : []));
  if (config.zalo) secrets.push(config.zalo.accessToken);
  if (config.email) {
    const password = URL.canParse(config.email.smtpUrl) ? new URL(config.email.smtpUrl).password : '';
    if (password) secrets.push(password, decodeURIComponent(password));
  }
  return secrets;
}
