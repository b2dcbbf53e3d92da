import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { t, useLocale } from '../i18n/i18n.js';
import { loadConsoleConfig } from '../live/api.js';
import { LayerPanel } from '../features/layers/LayerPanel.js';
import { Inspector } from '../features/inspector/Inspector.js';
import { Tooltip } from '../features/inspector/Tooltip.js';
import { AlertQueue } from '../features/alerts/AlertQueue.js';
import { CriticalToast } from '../features/alerts/CriticalToast.js';
import { locateAlert } from '../features/alerts/locate.js';
import { RuleEditor } from '../features/rules/RuleEditor.js';
import type { Alert } from '../../contract/alert.js';
import type { Me } from '../../contract/identity.js';
import { AdminPage } from '../features/admin/AdminPage.js';
import { AuditPage } from '../features/audit/AuditPage.js';
import { fetchMe } from '../session/auth-api.js';
import { failureText } from '../session/failure-text.js';
import { signedIn, signedOut } from '../session/session.js';
import { useSession } from '../session/use-session.js';
import { formatNumber } from '../i18n/format.js';
import { FullPanel } from './FullPanel.js';
import { Header } from './Header.js';
import { LoginPage } from './LoginPage.js';
import type { ConsolePage } from './UserMenu.js';
import { MapPane } from './MapPane.js';
import { sameRecord, useObservable, usePolled } from '../ui/hooks.js';
import { startRuntime, type Runtime } from './runtime.js';
import { countRender } from './test-hook.js';
import { ReplayBanner, ReplayBar } from '../features/replay/ReplayBar.js';
import { replayAlertsSource } from '../features/replay/replay-alerts.js';
import { defaultReplayMoment, enterReplay, leaveReplay, replayFromUrl } from '../features/replay/replay-mode.js';
import '../features/replay/replay.css';
import { ExportDialog } from '../features/export/ExportDialog.js';
import { exportDialog } from '../features/export/export-state.js';
import { can } from '../session/permissions.js';
import { KpiPage } from '../features/kpis/KpiPage.js';
import { QualityPage } from '../features/quality/QualityPage.js';
import { layerlessDomains, otherCounts } from '../features/cameras/camera-counts.js';
import { setLayerlessDomains } from '../map/deck-layers.js';
import { ReportsQueue } from '../features/reports/ReportsQueue.js';
import { useReportsRuntime } from '../features/reports/reports-runtime.js';
import '../features/reports/reports.css';

const COUNTS_INTERVAL_MS = 500;
const PHONE_QUERY = '(max-width: 760px)';

/** Wall-clock time of the last data, to the second (the store keeps it on the performance clock). */
function lastUpdateWallClock(runtime: Runtime): number {
  const last = runtime.store.lastUpdate;
  if (last === 0) return 0;
  return Math.round((Date.now() - (performance.now() - last)) / 1000) * 1000;
}

type View = 'alerts' | 'map';

/** Phones show one view at a time: the alert queue (the field team's main view) or the map. */
function ViewSwitch({ view, onChange, open }: { view: View; onChange: (view: View) => void; open: number }) {
  const locale = useLocale();
  return (
    <nav className="views" aria-label={t('app.title')}>
      <button type="button" className="views__tab" aria-pressed={view === 'alerts'} onClick={() => onChange('alerts')}>
        {t('view.alerts')}
        {open > 0 && <span className="views__badge">{formatNumber(open, locale, 0)}</span>}
      </button>
      <button type="button" className="views__tab" aria-pressed={view === 'map'} onClick={() => onChange('map')}>
        {t('view.map')}
      </button>
    </nav>
  );
}

function Console({ runtime, fallback, me }: { runtime: Runtime; fallback: boolean; me: Me }) {
  countRender();
  useLocale();
  const status = useObservable(runtime.live.status);
  const replay = useObservable(runtime.replay);
  const mayReplay = can(me, 'history.read');
  // A shared link opens the same past moment (for those who may see history).
  useEffect(() => {
    const moment = replayFromUrl();
    if (moment !== null && mayReplay && runtime.replay.get() === null) enterReplay(runtime, moment);
  }, [runtime, mayReplay]);
  const store = replay?.store ?? runtime.store;
  const alertsSource = useMemo(
    () => (replay ? replayAlertsSource(replay, runtime.alerts) : runtime.alerts),
    [replay, runtime],
  );
  const startReplay = useCallback(() => enterReplay(runtime, defaultReplayMoment()), [runtime]);
  const backToLive = useCallback(() => {
    exportDialog.set(null);
    leaveReplay(runtime);
  }, [runtime]);
  const exporting = useObservable(exportDialog);
  const allCounts = usePolled(() => store.counts(), COUNTS_INTERVAL_MS, sameRecord);
  // Cameras are their own layer; domains that are no map layer (dossiers) are not counted as one.
  const others = usePolled(() => otherCounts(store, runtime.config.domains), COUNTS_INTERVAL_MS, sameRecord);
  const counts = useMemo(
    () => ({ ...allCounts, other: Math.max(0, allCounts.other - others.camera - others.hidden) }),
    [allCounts, others],
  );
  useEffect(() => setLayerlessDomains(layerlessDomains(runtime.config)), [runtime]);
  const openAlerts = usePolled(() => alertsSource.book.size, COUNTS_INTERVAL_MS);
  const reports = useReportsRuntime(runtime.live, can(me, 'alerts.read'));
  const [panelOpen, setPanelOpen] = useState(() => !window.matchMedia(PHONE_QUERY).matches);
  const [view, setView] = useState<View>('alerts');
  const [page, setPage] = useState<ConsolePage | null>(null);
  const showMap = useCallback(() => setView('map'), []);
  const closePage = useCallback(() => setPage(null), []);
  const pageToMap = useCallback(() => {
    setPage(null);
    setView('map');
  }, []);
  const showAlert = useCallback(
    (alert: Alert) => {
      locateAlert(alert, store);
      setView('map');
    },
    [store],
  );
  return (
    <div className={replay ? 'app app--replay' : 'app'} data-mode={replay ? 'replay' : 'live'}>
      <Header
        status={status}
        lastUpdate={() => lastUpdateWallClock(runtime)}
        counts={counts}
        muted={runtime.alerts.muted}
        me={me}
        onOpen={setPage}
        replaying={replay !== null}
        onReplay={mayReplay ? startReplay : undefined}
      />
      <ViewSwitch view={view} onChange={setView} open={openAlerts} />
      {replay && <ReplayBanner replay={replay} strip />}
      <div className="body" data-view={view}>
        <main className={`stage stage--${status.state}`}>
          <MapPane runtime={runtime} />
          {replay && <ReplayBanner replay={replay} />}
          <button
            type="button"
            className="panel-toggle"
            aria-expanded={panelOpen}
            aria-controls="side-panel"
            onClick={() => setPanelOpen((open) => !open)}
          >
            <span aria-hidden="true">{panelOpen ? '‹' : '☰'}</span>
            <span className="panel-toggle__text">{panelOpen ? t('panel.hide') : t('panel.layers')}</span>
          </button>
          <aside id="side-panel" className="panel side" hidden={!panelOpen}>
            <LayerPanel counts={counts} cameras={others.camera} />
          </aside>
          <Inspector store={store} past={replay?.view} />
          <Tooltip store={store} />
          {!replay && <CriticalToast alerts={runtime.alerts} store={runtime.store} onShow={showAlert} />}
          {fallback && (
            <div className="notice" role="alert">
              {t('map.configFallback')}
            </div>
          )}
        </main>
        <aside className="panel alerts-pane" id="alerts-pane">
          <AlertQueue
            alerts={alertsSource}
            store={store}
            config={runtime.config}
            onLocated={showMap}
            readOnly={replay !== null}
            clock={replay ? () => replay.view.get().at : undefined}
          />
          {reports && !replay && (
            <ReportsQueue reports={reports} zones={runtime.config.map.zones} onLocated={showMap} />
          )}
        </aside>
      </div>
      {replay && (
        <ReplayBar
          replay={replay}
          onLive={backToLive}
          {...(runtime.config.retention ? { keptFor: runtime.config.retention.downsampled } : {})}
        />
      )}
      {replay && exporting !== null && <ExportDialog key={exporting} window={replay.view} store={replay.store} />}
      {page === 'rules' && <RuleEditor alerts={runtime.alerts} onClose={closePage} />}
      {page === 'admin' && (
        <FullPanel title={t('admin.title')} onClose={closePage} testId="admin">
          <AdminPage />
        </FullPanel>
      )}
      {page === 'kpis' && (
        <FullPanel title={t('kpis.title')} onClose={closePage} testId="kpis">
          <KpiPage />
        </FullPanel>
      )}
      {page === 'quality' && (
        <FullPanel title={t('quality.title')} onClose={closePage} testId="quality">
          <QualityPage store={store} zones={runtime.config.map.zones} onLocated={pageToMap} />
        </FullPanel>
      )}
      {page === 'audit' && (
        <FullPanel title={t('audit.title')} onClose={closePage} testId="audit">
          <AuditPage />
        </FullPanel>
      )}
    </div>
  );
}

function Splash({ children }: { children: ReactNode }) {
  return (
    <div className="splash" role="status">
      <span className="brand__mark">{t('app.short')}</span>
      {children}
    </div>
  );
}

/** Loads the console configuration, starts the live runtime and shows the console; stops it all on unmount (sign-out). */
function SignedIn({ me }: { me: Me }) {
  const [boot, setBoot] = useState<{ runtime: Runtime; fallback: boolean } | null>(null);
  useEffect(() => {
    let cancelled = false;
    let runtime: Runtime | undefined;
    void loadConsoleConfig().then(({ config, fallback }) => {
      if (cancelled) return;
      runtime = startRuntime(config);
      setBoot({ runtime, fallback });
    });
    return () => {
      cancelled = true;
      runtime?.stop();
    };
  }, []);
  if (!boot) return <Splash>{t('map.loading')}</Splash>;
  return <Console runtime={boot.runtime} fallback={boot.fallback} me={me} />;
}

/** Asks who is signed in, then shows the login page or the console; back to login whenever the session ends. */
export function App() {
  const locale = useLocale();
  useEffect(() => {
    document.title = `${t('app.short')} ${t('app.city')} · ${t('app.title')}`;
  }, [locale]);
  const state = useSession();
  const [checkError, setCheckError] = useState<unknown>(null);
  const check = useCallback(() => {
    setCheckError(null);
    fetchMe()
      .then((me) => (me ? signedIn(me) : signedOut()))
      .catch((err: unknown) => setCheckError(err));
  }, []);
  useEffect(check, [check]);

  if (state.status === 'signedIn') return <SignedIn key={state.me.username} me={state.me} />;
  if (state.status === 'signedOut') return <LoginPage ended={state.ended} />;
  return (
    <Splash>
      {checkError === null ? (
        <span>{t('auth.checking')}</span>
      ) : (
        <>
          <span role="alert">{failureText(checkError, t)}</span>
          <button type="button" className="act act--primary" onClick={check}>
            {t('auth.retry')}
          </button>
        </>
      )}
    </Splash>
  );
}
