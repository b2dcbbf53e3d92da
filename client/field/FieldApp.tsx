import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Alert } from '../../contract/alert.js';
import type { Me } from '../../contract/identity.js';
import type { Report } from '../../contract/field.js';
import { LanguageSwitch } from '../app/LanguageSwitch.js';
import { LoginPage } from '../app/LoginPage.js';
import { t, useLocale } from '../i18n/i18n.js';
import { ApiFailure } from '../live/http.js';
import { fetchMe, signOut } from '../session/auth-api.js';
import { failureText } from '../session/failure-text.js';
import { signedIn, signedOut } from '../session/session.js';
import { useSession } from '../session/use-session.js';
import { useObservable } from '../ui/hooks.js';
import type { ActionStore, FieldAction, StoredAction } from './action-store.js';
import { openActionStore } from './action-store.js';
import { fetchItem, sendAction } from './field-api.js';
import { alertItem, mine, reportItem, worstFirst, type FieldItem } from './field-items.js';
import { ft } from './field-messages.js';
import { FieldItemPage } from './FieldItemPage.js';
import { FieldRow } from './FieldRow.js';
import { lastMe, rememberMe } from './offline-start.js';
import { startOfflineQueue, type OfflineQueue } from './offline-queue.js';
import { PushToggle } from './PushToggle.js';
import { QueueBanner } from './QueueBanner.js';
import { useRoute } from './route.js';
import { formatClock } from './texts.js';
import { useFieldData, usePosition } from './use-field-data.js';

const CLOCK_MS = 30_000;

function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), CLOCK_MS);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The queue's actions grouped by item key. */
function pendingByItem(pending: readonly StoredAction[]): Map<string, StoredAction[]> {
  const map = new Map<string, StoredAction[]>();
  for (const action of pending) {
    const key = `${action.kind}/${action.itemId}`;
    map.set(key, [...(map.get(key) ?? []), action]);
  }
  return map;
}

const NO_PENDING: StoredAction[] = [];

function FieldHome({ me, queue, persistent }: { me: Me; queue: OfflineQueue; persistent: boolean }) {
  const locale = useLocale();
  const now = useNow();
  const route = useRoute();
  const data = useFieldData(me.username);
  const { position, refused } = usePosition();
  const queueState = useObservable(queue.state);
  const pending = useMemo(() => pendingByItem(queueState.pending), [queueState.pending]);
  const { reload } = data;

  // After the server took an action, the list shows what it now holds.
  const sent = queueState.sent;
  useEffect(() => {
    if (sent > 0) reload();
  }, [sent, reload]);

  const items = useMemo(() => {
    const all = [
      ...data.alerts.map(alertItem),
      ...data.reports.map((r) => reportItem(r, data.categories, locale, now)),
    ];
    return worstFirst(mine(all, me.username, me.zones ?? []), now);
  }, [data.alerts, data.reports, data.categories, locale, now, me]);

  // The item page: from the list when it is there, else fetched on its own (closed, or opened from a notification).
  const [single, setSingle] = useState<{ key: string; item: FieldItem | null; loading: boolean } | null>(null);
  const routeKey = route.page === 'item' ? `${route.kind}/${route.id}` : null;
  const listed = routeKey === null ? undefined : items.find((i) => i.key === routeKey);
  useEffect(() => {
    if (route.page !== 'item' || listed) return;
    let current = true;
    const key = `${route.kind}/${route.id}`;
    setSingle({ key, item: null, loading: true });
    const load =
      route.kind === 'alert'
        ? fetchItem('alert', route.id).then((a: Alert) => alertItem(a))
        : fetchItem('report', route.id).then((r: Report) => reportItem(r, data.categories, locale, Date.now()));
    load
      .then((item) => current && setSingle({ key, item, loading: false }))
      .catch(() => current && setSingle({ key, item: null, loading: false }));
    return () => {
      current = false;
    };
  }, [route, listed, data.categories, locale, data.updatedAt]);

  const act = useCallback((action: FieldAction) => queue.add(action), [queue]);
  const ack = useCallback(
    (item: FieldItem) => void queue.add({ op: 'ack', kind: item.kind, itemId: item.id, title: item.title }),
    [queue],
  );
  const zoneName = (zone: string | undefined) => (zone === undefined ? undefined : data.zoneNames.get(zone)?.[locale]);

  // Offline, the banner says so once; the failed loads would only repeat it.
  const errors = queueState.online ? Object.entries(data.errors).filter(([, err]) => err !== undefined) : [];
  return (
    <div className="fapp">
      <header className="fbar">
        <span className="fbar__brand">
          <span className="fbar__title">{ft('field.title')}</span>
          <span className="fbar__who" data-testid="field-user">
            {me.displayName || me.username}
          </span>
        </span>
        <LanguageSwitch />
        <button
          type="button"
          className="fbtn fbtn--bar"
          onClick={() => {
            rememberMe(null);
            void signOut();
          }}
        >
          {ft('field.signOut')}
        </button>
      </header>
      <QueueBanner queue={queue} persistent={persistent} />
      {route.page === 'item' ? (
        <FieldItemPage
          key={routeKey}
          item={listed ?? (single?.key === routeKey ? single.item : null)}
          loading={!listed && (single?.key !== routeKey || single.loading)}
          now={now}
          locale={locale}
          zoneName={zoneName((listed ?? single?.item)?.zone)}
          position={position}
          refused={refused}
          pending={(routeKey !== null && pending.get(routeKey)) || NO_PENDING}
          act={act}
        />
      ) : (
        <main className="fpage" data-testid="field-list">
          <PushToggle />
          {errors.map(([what, err]) => (
            <p key={what} className="ferror" role="alert">
              {ft('field.loadError', { what: ft(what === 'alerts' ? 'field.what.alerts' : 'field.what.reports'), message: failureText(err, t) })}
            </p>
          ))}
          <div className="flist__head">
            <span data-testid="field-count">{data.loaded ? ft('field.count', { n: items.length }) : ft('field.loading')}</span>
            {data.updatedAt !== null && <span className="fnote">{ft('field.updated', { time: formatClock(data.updatedAt, locale) })}</span>}
            <button type="button" className="fbtn" onClick={reload}>
              {ft('field.refresh')}
            </button>
          </div>
          {data.loaded && items.length === 0 && <p className="fnote">{ft('field.empty')}</p>}
          <ul className="flist">
            {items.map((item) => (
              <FieldRow
                key={item.key}
                item={item}
                now={now}
                locale={locale}
                zoneName={zoneName(item.zone)}
                position={position}
                refused={refused}
                pending={(pending.get(item.key) ?? NO_PENDING).map((a) => a.op)}
                mine={item.assignee === me.username}
                onAck={ack}
              />
            ))}
          </ul>
        </main>
      )}
    </div>
  );
}

/** Opens the action store and the queue for this user; stops the queue on sign-out. */
function SignedInField({ me }: { me: Me }) {
  const [boot, setBoot] = useState<{ store: ActionStore; persistent: boolean } | null>(null);
  const [queue, setQueue] = useState<OfflineQueue | null>(null);
  useEffect(() => {
    void openActionStore().then(setBoot);
  }, []);
  // Whichever way they signed in (the login page or an existing session), the next start without a connection knows them.
  useEffect(() => rememberMe(me), [me]);
  useEffect(() => {
    if (!boot) return;
    const started = startOfflineQueue(boot.store, me.username, sendAction);
    setQueue(started);
    return () => started.stop();
  }, [boot, me.username]);
  if (!boot || !queue) return <p className="fnote fsplash">{ft('field.loading')}</p>;
  return <FieldHome me={me} queue={queue} persistent={boot.persistent} />;
}

/** The field app: the login page until someone signs in, then their list; back to login when the session ends. */
export function FieldApp() {
  const locale = useLocale();
  useEffect(() => {
    document.title = `${ft('field.title')} · ${ft('field.city')}`;
  }, [locale]);
  const state = useSession();
  const [checkError, setCheckError] = useState<unknown>(null);
  const check = useCallback(() => {
    setCheckError(null);
    fetchMe()
      .then((me) => {
        if (me) signedIn(me);
        else signedOut();
      })
      .catch((err: unknown) => {
        // No connection: start as whoever signed in last, with their queue and last list.
        const last = lastMe();
        if (err instanceof ApiFailure && err.status === 0 && last !== null) signedIn(last);
        else setCheckError(err);
      });
  }, []);
  useEffect(check, [check]);
  if (state.status === 'signedIn') return <SignedInField key={state.me.username} me={state.me} />;
  if (state.status === 'signedOut') return <LoginPage ended={state.ended} />;
  return (
    <div className="fsplash" role="status">
      {checkError === null ? (
        <span>{t('auth.checking')}</span>
      ) : (
        <>
          <span role="alert">{failureText(checkError, t)}</span>
          <button type="button" className="fbtn fbtn--primary" onClick={check}>
            {t('auth.retry')}
          </button>
        </>
      )}
    </div>
  );
}
