import { useCallback, useState, type FormEvent } from 'react';
import type { Delivery, NotifyChannel } from '../../../contract/field.js';
import { formatCityTime } from '../../i18n/format.js';
import { useLocale } from '../../i18n/i18n.js';
import { call } from '../../live/http.js';
import { fieldAdminText, type FieldAdminKey } from './field-admin-messages.js';
import { FormError, ListStatus } from './FormError.js';
import { useList } from './use-list.js';

const CHANNELS: { channel: NotifyChannel; label: FieldAdminKey; hint: FieldAdminKey }[] = [
  { channel: 'push', label: 'channelPush', hint: 'targetHintPush' },
  { channel: 'email', label: 'channelEmail', hint: 'targetHintEmail' },
  { channel: 'webhook', label: 'channelWebhook', hint: 'targetHintWebhook' },
  { channel: 'telegram', label: 'channelTelegram', hint: 'targetHintTelegram' },
  { channel: 'zalo', label: 'channelZalo', hint: 'targetHintZalo' },
];

/** One channel: where to send, "send a test", and what became of it. */
function ChannelTest({ channel, label, hint, onSent }: (typeof CHANNELS)[number] & { onSent: () => void }) {
  const locale = useLocale();
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<Delivery | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    const body = target.trim() === '' ? { channel } : { channel, target: target.trim() };
    call<Delivery | { deliveries: Delivery[] }>('POST', '/notifications/test', { body })
      .then((answer) => {
        setResult('deliveries' in answer ? (answer.deliveries[0] ?? null) : answer);
        onSent();
      })
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };
  return (
    <form className="form notify-test" onSubmit={submit} data-testid={`notify-test-${channel}`}>
      <h4 className="form__title">{fieldAdminText(locale, label)}</h4>
      <label className="form__field">
        <span>{fieldAdminText(locale, 'target')}</span>
        <input
          className="field mono"
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          placeholder={fieldAdminText(locale, hint)}
          maxLength={320}
        />
      </label>
      <FormError error={error} />
      {result && (
        <p className="admin__hint" role="status" data-testid={`notify-result-${channel}`}>
          {fieldAdminText(locale, 'testQueued', { state: result.state })}
          {result.lastError ? ` · ${result.lastError}` : ''}
        </p>
      )}
      <div className="form__buttons">
        <button
          type="submit"
          className="act act--primary"
          disabled={busy || (channel !== 'push' && target.trim() === '')}
        >
          {busy ? fieldAdminText(locale, 'sending') : fieldAdminText(locale, 'sendTest')}
        </button>
      </div>
    </form>
  );
}

/** Notification channels (each with "send a test") and the delivery log. */
export function NotificationsSection() {
  const locale = useLocale();
  const load = useCallback(
    async () => (await call<{ deliveries: Delivery[] }>('GET', '/notifications?limit=100')).deliveries,
    [],
  );
  const { items, error, reload } = useList(load);
  return (
    <section className="admin__section" aria-labelledby="notify-title" data-testid="admin-notifications">
      <header className="admin__head">
        <h3 id="notify-title" className="admin__title">
          {fieldAdminText(locale, 'channels')}
        </h3>
      </header>
      <div className="notify-tests">
        {CHANNELS.map((entry) => (
          <ChannelTest key={entry.channel} {...entry} onSent={reload} />
        ))}
      </div>
      <header className="admin__head">
        <h3 className="admin__title">{fieldAdminText(locale, 'log')}</h3>
        <button type="button" className="act" onClick={reload}>
          {fieldAdminText(locale, 'refresh')}
        </button>
      </header>
      <ListStatus items={items} loadError={error} actionError={null} />
      {items !== null && items.length > 0 && (
        <table className="table" data-testid="delivery-log">
          <thead>
            <tr>
              <th>{fieldAdminText(locale, 'at')}</th>
              <th>{fieldAdminText(locale, 'item')}</th>
              <th>{fieldAdminText(locale, 'channel')}</th>
              <th>{fieldAdminText(locale, 'target')}</th>
              <th>{fieldAdminText(locale, 'state')}</th>
              <th>{fieldAdminText(locale, 'attempts')}</th>
              <th>{fieldAdminText(locale, 'error')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((delivery) => (
              <tr key={delivery.id}>
                <td data-label={fieldAdminText(locale, 'at')}>{formatCityTime(delivery.at, locale, true)}</td>
                <td data-label={fieldAdminText(locale, 'item')} className="mono">
                  {delivery.kind} {delivery.itemId} · {delivery.event}
                </td>
                <td data-label={fieldAdminText(locale, 'channel')}>{delivery.channel}</td>
                <td data-label={fieldAdminText(locale, 'target')} className="mono">
                  {delivery.target}
                </td>
                <td data-label={fieldAdminText(locale, 'state')}>
                  <span className={`tag tag--${delivery.state}`}>{delivery.state}</span>
                </td>
                <td data-label={fieldAdminText(locale, 'attempts')}>{delivery.attempts}</td>
                <td data-label={fieldAdminText(locale, 'error')}>{delivery.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
