import nodemailer from 'nodemailer';
import { DeliveryError, type DeliveryDoc } from '../delivery-record.js';
import { plainText, type Channel } from './types.js';

/** Email over SMTP (`notify.email.smtpUrl`): a plain and an HTML part, both with the link to the item. */
export interface EmailChannelDeps {
  smtpUrl: string;
  from: string;
  timeoutMs: number;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The HTML part: title, body, and the item's link as a button-like anchor. */
export function emailHtml(doc: DeliveryDoc): string {
  const { title, body, url } = doc.message;
  return [
    '<!doctype html><html lang="vi"><body style="font-family:sans-serif">',
    `<h2>${escapeHtml(title)}</h2>`,
    `<p>${escapeHtml(body).replace(/\n/g, '<br>')}</p>`,
    `<p><a href="${escapeHtml(url)}">Mở / Open</a></p>`,
    '</body></html>',
  ].join('');
}

export function createEmailChannel(deps: EmailChannelDeps): Channel {
  const transport = nodemailer.createTransport({
    url: deps.smtpUrl,
    connectionTimeout: deps.timeoutMs,
    greetingTimeout: deps.timeoutMs,
    socketTimeout: deps.timeoutMs,
  });
  return {
    async send(doc) {
      await transport
        .sendMail({
          from: deps.from,
          to: doc.address,
          subject: doc.message.title,
          text: plainText(doc),
          html: emailHtml(doc),
          headers: { 'X-IOC-Delivery': doc.id },
        })
        .catch((err: Error & { responseCode?: number }) => {
          // An SMTP 5xx reply (unknown mailbox, refused sender) is permanent (RFC 5321 §4.2.1): no retry.
          const code = err.responseCode;
          throw new DeliveryError(err.message, code !== undefined && code >= 500 && code < 600);
        });
    },
    close() {
      transport.close();
    },
  };
}
