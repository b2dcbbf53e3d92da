import type { DeliveryDoc } from '../delivery-record.js';

/** One way of reaching people; `send` resolves when the far side took the message and throws otherwise. */
export interface Channel {
  /** Throws DeliveryError (`final` when retrying cannot help) or any error (retried). */
  send(doc: DeliveryDoc, signal: AbortSignal): Promise<void>;
  close?(): void;
}

/** The text of a message for channels without markup (Telegram, Zalo, the email's plain part). */
export function plainText(doc: DeliveryDoc): string {
  return `${doc.message.title}\n${doc.message.body}\n${doc.message.url}`;
}

/** A short excerpt of a far side's answer for the log (it may be an HTML error page). */
export async function answerExcerpt(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  return text.replace(/\s+/g, ' ').slice(0, 160);
}
