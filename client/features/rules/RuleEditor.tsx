import { useEffect, useMemo, useState } from 'react';
import type { RuleInput, RuleView } from '../../../contract/rule.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { deleteRule, saveRule } from '../../live/alerts-api.js';
import { useObservable } from '../../ui/hooks.js';
import { useAccess } from '../../session/use-session.js';
import { failureText } from '../alerts/alert-labels.js';
import type { AlertsRuntime } from '../alerts/alerts-runtime.js';
import { Backtest } from './Backtest.js';
import { checkRuleText, NEW_RULE_TEXT, ruleToText } from './rule-text.js';

type Status = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; message: string };

function RuleList({
  rules,
  selected,
  onSelect,
  onToggle,
  canWrite,
}: {
  rules: RuleView[];
  selected: string | null;
  onSelect: (id: string | null) => void;
  onToggle: (rule: RuleView) => void;
  canWrite: boolean;
}) {
  return (
    <div className="rules__list">
      {canWrite ? (
        <button
          type="button"
          className="act act--primary rules__new"
          onClick={() => onSelect(null)}
          data-testid="rule-new"
        >
          + {t('rules.new')}
        </button>
      ) : (
        <p className="rules__hint" data-testid="rules-read-only">
          {t('rules.readOnly')}
        </p>
      )}
      {rules.length === 0 && <p className="rules__hint">{t('rules.none')}</p>}
      <ul>
        {rules.map((rule) => (
          <li key={rule.id} className={`rule-item${rule.id === selected ? ' rule-item--selected' : ''}`}>
            <button type="button" className="rule-item__main" onClick={() => onSelect(rule.id)} data-rule-id={rule.id}>
              <span className={`sev sev--${rule.severity}`}>{t(`severity.${rule.severity}`)}</span>
              <span className="rule-item__name">{rule.name}</span>
              <span className="rule-item__meta mono">
                {rule.domain} · {rule.id}
              </span>
            </button>
            <label className="toggle rule-item__toggle" title={t('rules.toggle', { name: rule.name })}>
              <input
                type="checkbox"
                checked={rule.enabled}
                disabled={!canWrite}
                onChange={() => onToggle(rule)}
                aria-label={t('rules.toggle', { name: rule.name })}
              />
              <span className="toggle__switch" aria-hidden="true" />
              <span className="toggle__label">{rule.enabled ? t('rules.enabled') : t('rules.disabled')}</span>
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The rule editor dialog: list with on/off switches, JSON editing with live validation, save and backtest. */
export function RuleEditor({ alerts, onClose }: { alerts: AlertsRuntime; onClose: () => void }) {
  useLocale();
  const access = useAccess();
  const ruleMap = useObservable(alerts.rules);
  const rules = useMemo(() => [...ruleMap.values()].sort((a, b) => a.name.localeCompare(b.name)), [ruleMap]);
  // Readers open on the first rule, not on the blank new-rule template.
  const [opening] = useState(() => (access.rulesWrite ? undefined : rules[0]));
  const [selected, setSelected] = useState<string | null>(opening?.id ?? null);
  const [text, setText] = useState(() => (opening ? ruleToText(opening) : NEW_RULE_TEXT));
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const check = useMemo(() => checkRuleText(text), [text]);
  const current = selected === null ? undefined : ruleMap.get(selected);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const select = (id: string | null) => {
    setSelected(id);
    const rule = id === null ? undefined : ruleMap.get(id);
    setText(rule ? ruleToText(rule) : NEW_RULE_TEXT);
    setStatus({ kind: 'idle' });
  };

  const submit = (rule: RuleInput, id: string | undefined, show = true) => {
    setStatus({ kind: 'saving' });
    saveRule(rule, id)
      .then(async (saved) => {
        await alerts.reloadRules();
        if (show || saved.id === selected) {
          setSelected(saved.id);
          setText(ruleToText(saved));
        }
        setStatus({ kind: 'saved' });
      })
      .catch((err: unknown) => setStatus({ kind: 'error', message: failureText(err) }));
  };

  const toggle = (rule: RuleView) => {
    const input = JSON.parse(ruleToText(rule)) as RuleInput;
    submit({ ...input, enabled: !rule.enabled }, rule.id, false);
  };

  const remove = () => {
    if (selected === null) return;
    deleteRule(selected)
      .then(() => alerts.reloadRules())
      .then(() => select(null))
      .catch((err: unknown) => setStatus({ kind: 'error', message: failureText(err) }));
  };

  return (
    <div className="modal" role="presentation" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="panel rules" role="dialog" aria-modal="true" aria-labelledby="rules-title" data-testid="rules">
        <header className="rules__head">
          <h2 id="rules-title" className="queue__title">
            {t('rules.title')}
          </h2>
          <button type="button" className="icon-button" aria-label={t('rules.close')} onClick={onClose}>
            ×
          </button>
        </header>
        <RuleList rules={rules} selected={selected} onSelect={select} onToggle={toggle} canWrite={access.rulesWrite} />
        <div className="rules__editor">
          <h3 className="rules__subtitle">
            {current
              ? t('rules.editing', { name: current.name })
              : access.rulesWrite
                ? t('rules.creating')
                : t('rules.pickOne')}
          </h3>
          <label className="rules__label" htmlFor="rule-json">
            {t('rules.json')}
          </label>
          <textarea
            id="rule-json"
            className="rules__text mono"
            spellCheck={false}
            readOnly={!access.rulesWrite}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setStatus({ kind: 'idle' });
            }}
            aria-invalid={!check.ok}
            aria-describedby="rule-check"
            data-testid="rule-json"
          />
          <p
            id="rule-check"
            className={`rules__check rules__check--${check.ok ? 'ok' : 'bad'}`}
            data-testid="rule-check"
            aria-live="polite"
          >
            {check.ok
              ? `✓ ${t('rules.valid')}`
              : check.kind === 'json'
                ? t('rules.invalidJson', { message: check.message })
                : t('rules.invalidAt', { path: check.path, message: check.message })}
          </p>
          {access.rulesWrite && (
            <div className="rules__buttons">
              <button
                type="button"
                className="act act--primary"
                disabled={!check.ok || status.kind === 'saving'}
                onClick={() => check.ok && submit(check.rule, selected ?? undefined)}
                data-testid="rule-save"
              >
                {status.kind === 'saving' ? t('rules.saving') : t('rules.save')}
              </button>
              {current?.source === 'api' && (
                <button type="button" className="act" onClick={remove} data-testid="rule-delete">
                  {t('rules.delete')}
                </button>
              )}
              {current?.source === 'config' && (
                <span className="rules__hint" data-testid="rule-from-config">
                  {t('rules.fromConfig')}
                </span>
              )}
              {status.kind === 'saved' && <span className="rules__saved">✓ {t('rules.saved')}</span>}
            </div>
          )}
          {status.kind === 'error' && (
            <p className="alert__error" role="alert" data-testid="rule-error">
              {status.message}
            </p>
          )}
          {access.backtest && <Backtest ruleId={selected} />}
        </div>
      </div>
    </div>
  );
}
