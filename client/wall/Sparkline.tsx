/** Width and height of the sparkline's drawing space (it is stretched to its box). */
const W = 100;
const H = 30;

/** A line of recent values, oldest left; a gap where a value is missing; the target as a dashed line. */
export function Sparkline({ values, target }: { values: readonly (number | null)[]; target?: number | undefined }) {
  const numbers = values.filter((v): v is number => v !== null);
  if (numbers.length < 2) return <svg className="wall-spark" aria-hidden="true" viewBox={`0 0 ${W} ${H}`} />;
  const all = target === undefined ? numbers : [...numbers, target];
  const min = Math.min(...all);
  const max = Math.max(...all);
  const span = max - min || 1;
  const x = (i: number) => (values.length === 1 ? W : (i / (values.length - 1)) * W);
  const y = (v: number) => H - 2 - ((v - min) / span) * (H - 4);
  const segments: string[] = [];
  let current = '';
  values.forEach((v, i) => {
    if (v === null) {
      if (current) segments.push(current);
      current = '';
      return;
    }
    current += `${current ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  if (current) segments.push(current);
  return (
    <svg className="wall-spark" aria-hidden="true" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none">
      {target !== undefined && <line className="wall-spark__target" x1={0} x2={W} y1={y(target)} y2={y(target)} />}
      {segments.map((d) => (
        <path key={d} className="wall-spark__line" d={d} />
      ))}
    </svg>
  );
}
