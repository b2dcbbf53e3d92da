import type { NotifyChannel } from '../../contract/index.js';
import type { NotifyConfig } from '../../config/field-schema.js';
import { HttpError } from '../http/errors.js';
import type { StateStore } from '../state/types.js';
import type { PushSubscriptions } from './push-subscriptions.js';
import type { DeliveryTarget } from './types.js';

/*
 * From targets to deliveries: `user:<name>` reaches every push subscription of that person, their
 * email, and their Telegram chat and Zalo id when config maps them; the other targets name one
 * address. A target that cannot be reached becomes a failed delivery, so the log shows it.
 */

/** One delivery to make: a channel and an address, shown in the log as `target`. */
export interface Plan {
  channel: NotifyChannel;
  address: string;
  target: string;
  username?: string;
  /** Set when it cannot be sent at all: stored as failed with this reason. */
  error?: string;
}

export interface ResolveContext {
  config: NotifyConfig;
  state: Pick<StateStore, 'getUser'>;
  subscriptions: PushSubscriptions;
  configured: (channel: NotifyChannel) => boolean;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const CHAT_ID = /^-?[0-9]{1,20}$/;
const ZALO_ID = /^[0-9]{1,32}$/;

async function userPlans(username: string, ctx: ResolveContext): Promise<Plan[]> {
  const user = await ctx.state.getUser(username);
  if (user === undefined || user.disabled) return [];
  const plans: Plan[] = (await ctx.subscriptions.ofUser(username)).map((sub) => ({
    channel: 'push',
    address: sub.id,
    target: username,
    username,
  }));
  if (user.email !== undefined && ctx.configured('email'))
    plans.push({ channel: 'email', address: user.email, target: username, username });
  const chat = ctx.config.telegram?.chats[username];
  if (chat !== undefined && ctx.configured('telegram'))
    plans.push({ channel: 'telegram', address: chat, target: username, username });
  const zalo = ctx.config.zalo?.users[username];
  if (zalo !== undefined && ctx.configured('zalo'))
    plans.push({ channel: 'zalo', address: zalo, target: username, username });
  return plans;
}

function addressPlan(channel: NotifyChannel, address: string, ctx: ResolveContext): Plan {
  const plan: Plan = { channel, address, target: address };
  if (!ctx.configured(channel)) return { ...plan, error: `channel "${channel}" is not configured (notify.${channel})` };
  if (channel === 'webhook' && !ctx.config.webhooks.some((hook) => hook.id === address))
    return { ...plan, error: `no webhook "${address}" in notify.webhooks` };
  return plan;
}

/** The deliveries `targets` stand for, each channel and address once. */
export async function resolveTargets(targets: readonly DeliveryTarget[], ctx: ResolveContext): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const target of new Set(targets)) {
    const colon = target.indexOf(':');
    const [prefix, rest] = [target.slice(0, colon), target.slice(colon + 1)];
    if (prefix === 'user') plans.push(...(await userPlans(rest, ctx)));
    else if (prefix === 'email' || prefix === 'webhook' || prefix === 'telegram' || prefix === 'zalo')
      plans.push(addressPlan(prefix, rest, ctx));
  }
  const seen = new Set<string>();
  return plans.filter((plan) => {
    const key = `${plan.channel}\u0000${plan.address}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const bad = (message: string) => new HttpError(400, 'bad_request', message, [{ path: 'target', message }]);

/** The deliveries of an admin's test: `target` checked for the channel, else taken from the admin's own contacts. */
export async function resolveTestTarget(
  channel: NotifyChannel,
  target: string | undefined,
  actor: string,
  ctx: ResolveContext,
): Promise<Plan[]> {
  if (!ctx.configured(channel))
    throw new HttpError(
      400,
      'bad_request',
      `The ${channel} channel is not configured (notify.${channel} in the config file).`,
      [{ path: 'channel', message: 'not configured' }],
    );
  const { config } = ctx;
  switch (channel) {
    case 'push': {
      const username = target ?? actor;
      const subs = await ctx.subscriptions.ofUser(username);
      if (subs.length === 0)
        throw bad(`${username} has no push subscription: open the field app on a phone and allow notifications first.`);
      return subs.map((sub) => ({ channel, address: sub.id, target: username, username }));
    }
    case 'email': {
      const address = target ?? (await ctx.state.getUser(actor))?.email;
      if (address === undefined || !EMAIL.test(address))
        throw bad('give an email address as target (or set your own email).');
      return [{ channel, address, target: address }];
    }
    case 'webhook': {
      const id = target ?? config.webhooks[0]?.id ?? '';
      if (!config.webhooks.some((hook) => hook.id === id)) throw bad(`no webhook "${id}" in notify.webhooks.`);
      return [{ channel, address: id, target: id }];
    }
    case 'telegram': {
      const chat = target ?? config.telegram?.chats[actor];
      if (chat === undefined || !CHAT_ID.test(chat))
        throw bad('give a Telegram chat id as target (digits, "-" first for groups).');
      return [{ channel, address: chat, target: chat }];
    }
    case 'zalo': {
      const id = target ?? config.zalo?.users[actor];
      if (id === undefined || !ZALO_ID.test(id)) throw bad('give a Zalo user id as target (digits).');
      return [{ channel, address: id, target: id }];
    }
  }
}
