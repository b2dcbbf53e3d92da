import { useLocale } from '../i18n/i18n.js';
import { usePolled } from '../ui/hooks.js';
import { formatClock } from './wall-format.js';

/** The city's time, to the minute, in the top corner. */
export function WallClock() {
  const locale = useLocale();
  const minute = usePolled(() => Math.floor(Date.now() / 60_000), 1_000);
  return (
    <time className="wall__clock" data-testid="wall-clock">
      {formatClock(minute * 60_000, locale)}
    </time>
  );
}
