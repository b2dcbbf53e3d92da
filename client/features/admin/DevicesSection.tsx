import { useState, type FormEvent } from 'react';
import type { DeviceCreated, DeviceInfo } from '../../../contract/identity.js';
import { formatCityTime } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { createDevice, deleteDevice, fetchDevices } from './admin-api.js';
import { FormError, ListStatus } from './FormError.js';
import { SecretOnce } from './SecretOnce.js';
import { useList } from './use-list.js';

const KNOWN_DOMAINS = ['sensor', 'traffic', 'health', 'queue'];

function DeviceForm({ onCreated }: { onCreated: (device: DeviceCreated) => void }) {
  useLocale();
  const [id, setId] = useState('');
  const [domain, setDomain] = useState('sensor');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    createDevice({ id: id.trim(), domain: domain.trim() })
      .then((created) => {
        setId('');
        onCreated(created);
      })
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };
  return (
    <form className="form" onSubmit={submit} data-testid="device-form">
      <h4 className="form__title">{t('device.new')}</h4>
      <div className="form__grid">
        <label className="form__field">
          <span>{t('device.id')}</span>
          <input
            className="field mono"
            value={id}
            onChange={(e) => setId(e.target.value)}
            maxLength={128}
            data-testid="device-id"
          />
        </label>
        <label className="form__field">
          <span>{t('device.domain')}</span>
          <input
            className="field mono"
            value={domain}
            onChange={(e) => setDomain(e.target.value)}
            list="device-domains"
            maxLength={32}
          />
          <datalist id="device-domains">
            {KNOWN_DOMAINS.map((known) => (
              <option key={known} value={known} />
            ))}
          </datalist>
        </label>
      </div>
      <FormError error={error} />
      <div className="form__buttons">
        <button
          type="submit"
          className="act act--primary"
          disabled={busy || id.trim() === ''}
          data-testid="device-create"
        >
          {busy ? t('admin.creating') : t('admin.create')}
        </button>
      </div>
    </form>
  );
}

/** Devices: MQTT credentials per device (shown once on creation), the topic each may publish to, delete. */
export function DevicesSection() {
  const locale = useLocale();
  const { items, error, reload } = useList(fetchDevices);
  const [created, setCreated] = useState<DeviceCreated | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const remove = (device: DeviceInfo) => {
    if (!window.confirm(t('admin.confirmDelete', { name: device.id }))) return;
    setActionError(null);
    deleteDevice(device.id)
      .then(reload)
      .catch((err: unknown) => setActionError(err));
  };

  return (
    <section className="admin__section" aria-labelledby="devices-title" data-testid="admin-devices">
      <header className="admin__head">
        <h3 id="devices-title" className="admin__title">
          {t('admin.devices')}
        </h3>
      </header>
      {created ? (
        <SecretOnce
          title={t('device.created', { id: created.id })}
          rows={[
            { label: t('device.username'), value: created.username },
            { label: t('device.password'), value: created.password, secret: true },
            { label: t('device.topic'), value: created.topic },
          ]}
          onDone={() => setCreated(null)}
        />
      ) : (
        <DeviceForm
          onCreated={(device) => {
            setCreated(device);
            reload();
          }}
        />
      )}
      <ListStatus items={items} loadError={error} actionError={actionError} />
      {items !== null && items.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>{t('device.id')}</th>
              <th>{t('device.domain')}</th>
              <th>{t('device.username')}</th>
              <th>{t('device.topic')}</th>
              <th>{t('token.createdBy')}</th>
              <th aria-label={t('alerts.actions')} />
            </tr>
          </thead>
          <tbody>
            {items.map((device) => (
              <tr key={`${device.domain}/${device.id}`}>
                <td data-label={t('device.id')} className="mono">
                  {device.id}
                </td>
                <td data-label={t('device.domain')}>{device.domain}</td>
                <td data-label={t('device.username')} className="mono">
                  {device.username}
                </td>
                <td data-label={t('device.topic')} className="mono">
                  {device.topic}
                </td>
                <td data-label={t('token.createdBy')}>
                  {device.createdBy} · {formatCityTime(device.createdAt, locale, true)}
                </td>
                <td className="table__actions">
                  <button type="button" className="act" onClick={() => remove(device)}>
                    {t('admin.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
