import { useEffect, useRef, useState } from 'react';
import type { Me } from '../../contract/identity.js';
import { t, useLocale } from '../i18n/i18n.js';
import { signOut } from '../session/auth-api.js';
import type { ConsoleAccess } from '../session/permissions.js';
import { AdminIcon, AuditIcon, KpiIcon, QualityIcon, SignOutIcon } from '../ui/icons.js';
import { LanguageSwitch } from './LanguageSwitch.js';
import { can } from '../session/permissions.js';
import { useMe } from '../session/use-session.js';

/** The pages over the console the header can open. */
export type ConsolePage = 'rules' | 'admin' | 'audit' | 'kpis' | 'quality';

/** Initials for the avatar: first letters of the last two words ("Nguyễn Văn An" → "VA"). */
export function initialsOf(displayName: string): string {
  const letters = displayName
    .split(/\s+/)
    .filter((word) => word !== '')
    .slice(-2)
    .map((word) => [...word][0]?.toUpperCase() ?? '');
  return letters.join('') || '?';
}

/** Audit and admin buttons, each only for those allowed; `menu` renders them as full-width menu items. */
export function PageButtons({
  access,
  onOpen,
  menu = false,
}: {
  access: ConsoleAccess;
  onOpen: (page: ConsolePage) => void;
  menu?: boolean;
}) {
  useLocale();
  const className = menu ? 'user__item' : 'head-button head-button--nav';
  const prefix = menu ? 'menu-' : '';
  const kpis = can(useMe(), 'kpis.read');
  return (
    <>
      {kpis && (
        <button
          type="button"
          className={className}
          onClick={() => onOpen('kpis')}
          title={t('nav.kpis')}
          data-testid={`${prefix}open-kpis`}
        >
          <KpiIcon />
          <span className="head-button__text">{t('nav.kpis')}</span>
        </button>
      )}
      {kpis && (
        <button
          type="button"
          className={className}
          onClick={() => onOpen('quality')}
          title={t('nav.quality')}
          data-testid={`${prefix}open-quality`}
        >
          <QualityIcon />
          <span className="head-button__text">{t('nav.quality')}</span>
        </button>
      )}
      {access.audit && (
        <button
          type="button"
          className={className}
          onClick={() => onOpen('audit')}
          title={t('nav.audit')}
          data-testid={`${prefix}open-audit`}
        >
          <AuditIcon />
          <span className="head-button__text">{t('nav.audit')}</span>
        </button>
      )}
      {access.admin && (
        <button
          type="button"
          className={className}
          onClick={() => onOpen('admin')}
          title={t('nav.admin')}
          data-testid={`${prefix}open-admin`}
        >
          <AdminIcon />
          <span className="head-button__text">{t('nav.admin')}</span>
        </button>
      )}
    </>
  );
}

/**
 * Who is signed in (initials, name, roles) and sign-out. On phones the name, language, page buttons
 * and sign-out fold into the menu under the initials.
 */
export function UserMenu({
  me,
  access,
  onOpen,
}: {
  me: Me;
  access: ConsoleAccess;
  onOpen: (page: ConsolePage) => void;
}) {
  useLocale();
  const [open, setOpen] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const roles = me.roles.map((role) => t(`role.${role}`)).join(', ');

  useEffect(() => {
    if (!open) return;
    const close = (event: Event) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !box.current?.contains(event.target as Node))
        setOpen(false);
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  const leave = () => {
    setLeaving(true);
    void signOut();
  };
  const openPage = (page: ConsolePage) => {
    setOpen(false);
    onOpen(page);
  };

  return (
    <div className="user" ref={box} data-testid="user">
      <button
        type="button"
        className="user__avatar"
        aria-expanded={open}
        title={t('auth.signedInAs', { name: me.displayName, roles })}
        aria-label={t('auth.signedInAs', { name: me.displayName, roles })}
        onClick={() => setOpen((current) => !current)}
        data-testid="user-menu"
      >
        {initialsOf(me.displayName)}
      </button>
      <span className="user__text">
        <span className="user__name" data-testid="user-name">
          {me.displayName}
        </span>
        <span className="user__roles" data-testid="user-roles">
          {roles}
        </span>
      </span>
      <button
        type="button"
        className="head-button user__signout"
        onClick={leave}
        disabled={leaving}
        title={t('auth.signOut')}
        data-testid="sign-out"
      >
        <SignOutIcon />
        <span className="head-button__text">{t('auth.signOut')}</span>
      </button>
      {open && (
        <div className="user__menu panel" data-testid="user-menu-panel">
          <p className="user__who">
            <strong>{me.displayName}</strong>
            <span className="mono">{me.username}</span>
            <span>{roles}</span>
          </p>
          <div className="user__phone-only">
            <LanguageSwitch />
            <PageButtons access={access} onOpen={openPage} menu />
          </div>
          <button type="button" className="user__item" onClick={leave} disabled={leaving} data-testid="menu-sign-out">
            <SignOutIcon />
            <span>{t('auth.signOut')}</span>
          </button>
        </div>
      )}
    </div>
  );
}
