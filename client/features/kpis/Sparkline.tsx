const W = 100;
const H = 28;

/** Recent values as a line, oldest left, broken where a value is missing; the target as a dashed line. */
export function Sparkline({ values, target }: { values: readonly (number | null)[]; target?: number | undefined }) {
  const numbers = values.filter((v): v is number => v !== null);
  if (numbers.length < 2) return null;
  const all = target === undefined ? numbers : [...numbers, target];
  const min = Math.min(...all);
  const span = Math.max(...all) - min || 1;
  const x = (i: number) => (i / Math.max(1, values.length - 1)) * W;
  const y = (v: number) => H - 2 - ((v - min) / span) * (H - 4);
  const paths: string[] = [];
  let current = '';
  values.forEach((v, i) => {
    if (v === null) {
      if (current) paths.push(current);
      current = '';
      return;
    }
    current += `${current ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  if (current) paths.push(current);
  return (
    <svg
      className="kpi__spark"
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      aria-hidden="true"
      data-testid="kpi-spark"
    >
      {target !== undefined && <line className="kpi__spark-target" x1={0} x2={W} y1={y(target)} y2={y(target)} />}
      {paths.map((d) => (
        <path key={d} className="kpi__spark-line" d={d} />
      ))}
    </svg>
  );
}
