import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/*
 * The far sides of the notification channels, in the test process: a real SMTP server, a stand-in
 * for a browser's push service that decrypts what it gets (RFC 8291) and checks the VAPID JWT
 * (RFC 8292), and a small JSON HTTP server for webhook receivers and the Telegram and Zalo APIs,
 * which record each request and answer what the test tells them to.
 */

/** http_ece ships no types: the one call used, as its README documents it. */
interface HttpEce {
  decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string }): Buffer;
}
const ece = createRequire(import.meta.url)('http_ece') as HttpEce;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  json?: unknown;
}

/** A local HTTP server recording every request; `respond` picks the answer (200 `{}` by default). */
export interface JsonFake {
  url: string;
  requests: RecordedRequest[];
  respond: (request: RecordedRequest) => Answer;
  stop(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export async function startJsonFake(): Promise<JsonFake> {
  const fake: JsonFake = {
    url: '',
    requests: [],
    respond: () => ({ status: 200, json: {} }),
    stop: () => close(server),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      fake.requests.push(request);
      const answer = fake.respond(request);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.json ?? {}));
    });
  });
  fake.url = await listen(server);
  return fake;
}

/** A real SMTP server (no TLS, no auth) keeping every message parsed; it refuses `unknown@…` with 550. */
export interface SmtpFake {
  port: number;
  url: string;
  messages: ParsedMail[];
  stop(): Promise<void>;
}

export async function startSmtpFake(): Promise<SmtpFake> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      // A mailbox that does not exist, as a real server refuses it (permanent 5xx).
      if (address.address.startsWith('unknown@'))
        callback(Object.assign(new Error('5.1.1 No such mailbox'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the push service took from one push: the decrypted payload and the VAPID JWT's claims. */
export interface ReceivedPush {
  name: string;
  payload: Record<string, unknown>;
  claims: { aud: string; exp: number; sub: string };
  /** `k=` of the Authorization header: the VAPID public key the JWT is signed with. */
  vapidKey: string;
  headers: http.IncomingHttpHeaders;
}

/** A browser's subscription as the test makes it: keys generated here, endpoint on the fake. */
export interface TestSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface PushServiceFake {
  origin: string;
  received: ReceivedPush[];
  /** Requests refused because the JWT or the payload did not check out, with why. */
  refused: string[];
  /** Status to answer for a subscription name (201 by default; 410 = gone). */
  statusFor: Map<string, number>;
  subscribe(name: string): TestSubscription;
  stop(): Promise<void>;
}

/** Checks `Authorization: vapid t=<jwt>, k=<key>` (ES256 over the key, RFC 8292 §2-3); answers the claims. */
function checkVapid(header: string | undefined, origin: string): { claims: ReceivedPush['claims']; key: string } {
  const found = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!found) throw new Error(`no VAPID Authorization header: ${header ?? '(none)'}`);
  const [, jwt = '', key = ''] = found;
  const [head = '', body = '', signature = ''] = jwt.split('.');
  const raw = Buffer.from(key, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  if ((JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string }).alg !== 'ES256')
    throw new Error('JWT alg is not ES256');
  if (
    !verify(
      'sha256',
      Buffer.from(`${head}.${body}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    )
  ) {
    throw new Error('JWT signature does not verify against k');
  }
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as ReceivedPush['claims'];
  if (claims.aud !== origin) throw new Error(`JWT aud ${claims.aud} is not the push service's origin ${origin}`);
  if (!(claims.exp > Date.now() / 1000)) throw new Error('JWT expired');
  return { claims, key };
}

export async function startPushServiceFake(): Promise<PushServiceFake> {
  const keys = new Map<string, { ecdh: ECDH; auth: string }>();
  const fake: PushServiceFake = {
    origin: '',
    received: [],
    refused: [],
    statusFor: new Map(),
    subscribe(name) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      keys.set(name, { ecdh, auth });
      return {
        endpoint: `${fake.origin}/push/${name}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
      };
    },
    stop: () => close(server),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const name = decodeURIComponent((req.url ?? '').replace(/^\/push\//, ''));
      const status = fake.statusFor.get(name) ?? 201;
      try {
        const subscription = keys.get(name);
        if (subscription === undefined) throw new Error(`unknown subscription ${name}`);
        if (req.headers['content-encoding'] !== 'aes128gcm')
          throw new Error(`Content-Encoding ${String(req.headers['content-encoding'])}`);
        if (!req.headers.ttl) throw new Error('no TTL header');
        const { claims, key } = checkVapid(req.headers.authorization, fake.origin);
        const plain = ece.decrypt(Buffer.concat(chunks), {
          version: 'aes128gcm',
          privateKey: subscription.ecdh,
          authSecret: subscription.auth,
        });
        if (status < 300)
          fake.received.push({
            name,
            payload: JSON.parse(plain.toString('utf8')) as Record<string, unknown>,
            claims,
            vapidKey: key,
            headers: req.headers,
          });
        res.writeHead(status).end();
      } catch (err) {
        fake.refused.push((err as Error).message);
        res.writeHead(400).end((err as Error).message);
      }
    });
  });
  fake.origin = await listen(server);
  return fake;
}
