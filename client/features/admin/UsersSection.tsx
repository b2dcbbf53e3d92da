import { useState } from 'react';
import type { User } from '../../../contract/identity.js';
import { formatCityTime } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { deleteUser, fetchUsers } from './admin-api.js';
import { ListStatus } from './FormError.js';
import { useList } from './use-list.js';
import { PasswordReset, UserEditor } from './UserForm.js';

type Editing = null | { kind: 'new' } | { kind: 'edit'; user: User };

/** Users: the list, a form to add one, edit (roles, zones, disabled), reset the password, delete. */
export function UsersSection() {
  const locale = useLocale();
  const { items, error, reload } = useList(fetchUsers);
  const [editing, setEditing] = useState<Editing>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const saved = () => {
    setEditing(null);
    reload();
  };
  const remove = (user: User) => {
    if (!window.confirm(t('admin.confirmDelete', { name: user.username }))) return;
    setActionError(null);
    deleteUser(user.username)
      .then(reload)
      .catch((err: unknown) => setActionError(err));
  };

  return (
    <section className="admin__section" aria-labelledby="users-title" data-testid="admin-users">
      <header className="admin__head">
        <h3 id="users-title" className="admin__title">
          {t('admin.users')}
        </h3>
        {editing === null && (
          <button
            type="button"
            className="act act--primary"
            onClick={() => setEditing({ kind: 'new' })}
            data-testid="user-new"
          >
            + {t('user.new')}
          </button>
        )}
      </header>
      {editing?.kind === 'new' && <UserEditor onSaved={saved} onCancel={() => setEditing(null)} />}
      {editing?.kind === 'edit' && (
        <>
          <UserEditor
            key={editing.user.username}
            user={editing.user}
            onSaved={saved}
            onCancel={() => setEditing(null)}
          />
          {editing.user.source === 'local' && <PasswordReset user={editing.user} />}
        </>
      )}
      <ListStatus items={items} loadError={error} actionError={actionError} />
      {items !== null && items.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>{t('user.username')}</th>
              <th>{t('user.displayName')}</th>
              <th>{t('user.roles')}</th>
              <th>{t('user.zones')}</th>
              <th>{t('user.lastLogin')}</th>
              <th aria-label={t('alerts.actions')} />
            </tr>
          </thead>
          <tbody>
            {items.map((user) => (
              <tr key={user.username} data-username={user.username} className={user.disabled ? 'table__row--off' : ''}>
                <td data-label={t('user.username')} className="mono">
                  {user.username}
                  {user.disabled && <span className="tag tag--off">{t('user.isDisabled')}</span>}
                  {user.source === 'oidc' && <span className="tag">SSO</span>}
                </td>
                <td data-label={t('user.displayName')}>{user.displayName}</td>
                <td data-label={t('user.roles')}>{user.roles.map((role) => t(`role.${role}`)).join(', ')}</td>
                <td data-label={t('user.zones')}>
                  {user.zones.length > 0 ? user.zones.join(', ') : t('user.allZones')}
                </td>
                <td data-label={t('user.lastLogin')}>
                  {user.lastLoginAt !== undefined ? formatCityTime(user.lastLoginAt, locale, true) : t('user.never')}
                </td>
                <td className="table__actions">
                  <button type="button" className="act" onClick={() => setEditing({ kind: 'edit', user })}>
                    {t('admin.edit')}
                  </button>
                  <button type="button" className="act" onClick={() => remove(user)}>
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
