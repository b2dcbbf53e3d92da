import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../config/logger.js';
import { deviceRoleName } from './names.js';

/** Device credentials on an external Mosquitto, made through its dynamic-security plugin. */
export interface DynsecClient {
  /** Creates the client with `password` and a role that may publish to `topic` only. */
  createDevice(username: string, password: string, topic: string): Promise<void>;
  /** Deletes the client and its role (Mosquitto disconnects it); a client already gone is not an error. */
  deleteDevice(username: string): Promise<void>;
  close(): Promise<void>;
}

export interface DynsecOptions {
  /** The external broker, e.g. `mqtt://broker:1883`. */
  url: string;
  /** An admin of the plugin (the user `mosquitto_ctrl dynsec init` made). */
  username: string;
  password: string;
  /** `$CONTROL/dynamic-security/v1`; answers come on `<controlTopic>/response`. */
  controlTopic: string;
  logger: Logger;
  /** How long to wait for the broker (connect) and for each answer. */
  timeoutMs?: number;
}

/** Thrown when the plugin refuses a command or does not answer; the message says what to check. */
export class DynsecError extends Error {
  override readonly name = 'DynsecError';
}

type Command = Record<string, unknown> & { command: string };
interface Response {
  command?: string;
  error?: string;
  correlationData?: string;
}
interface Pending {
  resolve(responses: Response[]): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Connects to the plugin's control topic as its admin; rejects with what to check when that fails. */
export async function connectDynsec(options: DynsecOptions): Promise<DynsecClient> {
  const { controlTopic, logger } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const responseTopic = `${controlTopic}/response`;
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(options.url, {
      clientId: `ioc-dynsec-${randomBytes(4).toString('hex')}`,
      username: options.username,
      password: options.password,
      protocolVersion: 4,
      clean: true,
      connectTimeout: timeoutMs,
      reconnectPeriod: 1000,
    });
  } catch (err) {
    throw new DynsecError(
      `cannot connect to ${options.url} as the dynamic-security admin "${options.username}": ${(err as Error).message}. ` +
        'Check mqtt.url and mqtt.dynsec.username/password.',
    );
  }
  client.on('error', (err) => logger.warn('dynsec MQTT error', { error: err.message }));
  try {
    await client.subscribeAsync(responseTopic, { qos: 1 });
  } catch (err) {
    await client.endAsync(true);
    throw new DynsecError(`cannot subscribe to ${responseTopic}: ${(err as Error).message}`);
  }

  const prefix = randomBytes(4).toString('hex');
  let sequence = 0;
  const pending = new Map<string, Pending>();

  client.on('message', (topic, payload) => {
    if (topic !== responseTopic) return;
    let responses: Response[];
    try {
      responses = (JSON.parse(payload.toString()) as { responses?: Response[] }).responses ?? [];
    } catch {
      logger.warn('dynsec answer is not JSON', { preview: payload.subarray(0, 200).toString() });
      return;
    }
    // One request is one message of commands sharing a correlation id; the answer lists them all.
    const id = responses[0]?.correlationData;
    const waiter = id === undefined ? undefined : pending.get(id);
    if (waiter === undefined || id === undefined) return;
    pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(responses);
  });

  /** Sends `commands` in one message and resolves with the plugin's answers, in order. */
  function send(commands: Command[]): Promise<Response[]> {
    sequence += 1;
    const id = `${prefix}-${sequence}`;
    return new Promise<Response[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new DynsecError(
            `no answer from Mosquitto's dynamic-security plugin on ${controlTopic} within ${timeoutMs} ms. ` +
              'Check that mosquitto.conf loads mosquitto_dynamic_security.so and that mqtt.dynsec.username is its admin.',
          ),
        );
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      const body = JSON.stringify({ commands: commands.map((c) => ({ ...c, correlationData: id })) });
      client.publish(controlTopic, body, { qos: 1 }, (err) => {
        if (!err) return;
        pending.delete(id);
        clearTimeout(timer);
        reject(new DynsecError(`cannot publish to ${controlTopic}: ${err.message}`));
      });
    });
  }

  /** The error texts of the answers, keyed by command; an answer missing counts as an error. */
  async function run(commands: Command[]): Promise<(string | undefined)[]> {
    const responses = await send(commands);
    return commands.map((c, i) => {
      const answer = responses[i];
      if (answer === undefined || answer.command !== c.command) return 'no answer for this command';
      return answer.error;
    });
  }

  return {
    async createDevice(username, password, topic) {
      const rolename = deviceRoleName(username);
      const [roleError, clientError] = await run([
        {
          command: 'createRole',
          rolename,
          textname: `publish to ${topic} only`,
          acls: [
            { acltype: 'publishClientSend', topic, priority: 1, allow: true },
            { acltype: 'publishClientSend', topic: '#', priority: 0, allow: false },
            { acltype: 'subscribePattern', topic: '#', priority: 0, allow: false },
            { acltype: 'publishClientReceive', topic: '#', priority: 0, allow: false },
          ],
        },
        { command: 'createClient', username, password, textname: `device ${topic}`, roles: [{ rolename, priority: 1 }] },
      ]);
      if (roleError === undefined && clientError === undefined) return;
      // Undo the half that worked (never what existed before) so a retry starts clean.
      const undo: Command[] = [];
      if (clientError === undefined) undo.push({ command: 'deleteClient', username });
      if (roleError === undefined) undo.push({ command: 'deleteRole', rolename });
      if (undo.length > 0) await run(undo).catch(() => undefined);
      const what = roleError !== undefined ? `createRole ${rolename}: ${roleError}` : `createClient ${username}: ${clientError ?? ''}`;
      throw new DynsecError(`Mosquitto's dynamic-security plugin refused ${what}`);
    },

    async deleteDevice(username) {
      const [clientError, roleError] = await run([
        { command: 'deleteClient', username },
        { command: 'deleteRole', rolename: deviceRoleName(username) },
      ]);
      const gone = (error: string | undefined) => error === undefined || /not found/i.test(error);
      if (gone(clientError) && gone(roleError)) return;
      throw new DynsecError(
        `Mosquitto's dynamic-security plugin refused to delete ${username}: ${clientError ?? roleError ?? ''}`,
      );
    },

    async close() {
      for (const [id, waiter] of pending) {
        clearTimeout(waiter.timer);
        waiter.reject(new DynsecError('dynsec client closed'));
        pending.delete(id);
      }
      await client.endAsync();
    },
  };
}
