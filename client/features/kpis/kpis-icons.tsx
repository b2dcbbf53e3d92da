// Header icons of the KPI board and data-quality view, drawn like client/ui/icons.tsx.

const common = {
  width: '1.1em',
  height: '1.1em',
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round' as const,
  strokeLinejoin: 'round' as const,
  'aria-hidden': true,
};

/** KPI board: bars under a rising line. */
export function KpiIcon() {
  return (
    <svg {...common}>
      <path d="M5 20v-6M11 20v-9M17 20v-5M3 20h18" />
      <path d="M4 9l5-4 4 3 7-5" />
    </svg>
  );
}

/** Data quality: a shield with a check. */
export function QualityIcon() {
  return (
    <svg {...common}>
      <path d="M12 3l8 3v6c0 4.5-3.4 8-8 9-4.6-1-8-4.5-8-9V6z" />
      <path d="M8.5 12l2.5 2.5 4.5-5" />
    </svg>
  );
}
