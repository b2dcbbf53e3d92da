import { useState } from 'react';
import { t, useLocale } from '../../i18n/i18n.js';
import { DevicesSection } from './DevicesSection.js';
import { EscalationSection } from './EscalationSection.js';
import { fieldAdminText } from './field-admin-messages.js';
import { NotificationsSection } from './NotificationsSection.js';
import { TokensSection } from './TokensSection.js';
import { UsersSection } from './UsersSection.js';

const TABS = ['users', 'tokens', 'devices', 'notifications', 'escalation'] as const;
type Tab = (typeof TABS)[number];

/** Administration: users, API tokens, devices, notification channels and escalation policies, one tab at a time. */
export function AdminPage() {
  const locale = useLocale();
  const [tab, setTab] = useState<Tab>('users');
  return (
    <div className="admin">
      <nav className="tabs" aria-label={t('admin.title')}>
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            className="tabs__tab"
            aria-pressed={tab === name}
            onClick={() => setTab(name)}
            data-testid={`admin-tab-${name}`}
          >
            {name === 'notifications' || name === 'escalation' ? fieldAdminText(locale, name) : t(`admin.${name}`)}
          </button>
        ))}
      </nav>
      {tab === 'users' && <UsersSection />}
      {tab === 'tokens' && <TokensSection />}
      {tab === 'devices' && <DevicesSection />}
      {tab === 'notifications' && <NotificationsSection />}
      {tab === 'escalation' && <EscalationSection />}
    </div>
  );
}
