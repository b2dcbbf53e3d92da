// Small inline icons (no icon font or emoji: wall displays and closed networks may have neither).

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

/** Speaker, with waves when on and a cross when muted. */
export function SoundIcon({ off }: { off: boolean }) {
  return (
    <svg {...common}>
      <path d="M4 9h4l5-4v14l-5-4H4z" fill="currentColor" />
      {off ? (
        <path d="M17 9l5 6M22 9l-5 6" />
      ) : (
        <>
          <path d="M16.5 8.5a5 5 0 0 1 0 7" />
          <path d="M19.5 5.5a9 9 0 0 1 0 13" />
        </>
      )}
    </svg>
  );
}

/** A list with sliders: the rules. */
export function RulesIcon() {
  return (
    <svg {...common}>
      <path d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0" />
      <circle cx="16" cy="6" r="2" />
      <circle cx="10" cy="12" r="2" />
      <circle cx="18" cy="18" r="2" />
    </svg>
  );
}

/** Head and shoulders with a key-shaped badge: administration. */
export function AdminIcon() {
  return (
    <svg {...common}>
      <circle cx="9" cy="8" r="3.5" />
      <path d="M2.5 20c0-3.6 2.9-6.5 6.5-6.5 1.4 0 2.7.4 3.7 1.2" />
      <circle cx="18" cy="15" r="2.2" />
      <path d="M18 17.2V21M18 19h1.8" />
    </svg>
  );
}

/** A page with lines and a clock: the audit log. */
export function AuditIcon() {
  return (
    <svg {...common}>
      <path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h5" />
      <path d="M8 8h8M8 12h4" />
      <circle cx="17" cy="17" r="4" />
      <path d="M17 15v2l1.3 1.3" />
    </svg>
  );
}

/** A door with an arrow leaving it: sign out. */
export function SignOutIcon() {
  return (
    <svg {...common}>
      <path d="M10 4H5a1 1 0 0 0-1 1v14a1 1 0 0 0 1 1h5" />
      <path d="M15 8l4 4-4 4M19 12H9" />
    </svg>
  );
}

/** A clock with an arrow turning back: the replay of the past. */
export function ReplayIcon() {
  return (
    <svg {...common}>
      <path d="M3 12a9 9 0 1 0 3-6.7" />
      <path d="M3 4v5h5" />
      <path d="M12 7v5l3 2" />
    </svg>
  );
}

/** Play (a triangle) or pause (two bars). */
export function PlayIcon({ playing }: { playing: boolean }) {
  return playing ? (
    <svg {...common}>
      <path d="M8 5v14M16 5v14" strokeWidth={3} />
    </svg>
  ) : (
    <svg {...common}>
      <path d="M7 4l13 8-13 8z" fill="currentColor" />
    </svg>
  );
}

/** An arrow into a tray: download (the export). */
export function DownloadIcon() {
  return (
    <svg {...common}>
      <path d="M12 4v11M7 10l5 5 5-5" />
      <path d="M4 17v3h16v-3" />
    </svg>
  );
}

/** A calendar page: choose dates. */
export function CalendarIcon() {
  return (
    <svg {...common}>
      <rect x="3.5" y="5" width="17" height="15" rx="2" />
      <path d="M3.5 10h17M8 3v4M16 3v4" />
    </svg>
  );
}

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
