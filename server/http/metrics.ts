/** One Prometheus sample: a metric name, optional labels and a value. */
export interface Sample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: { labels?: Record<string, string>; value: number }[];
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Renders samples in the Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(samples: readonly Sample[]): string {
  const lines: string[] = [];
  for (const sample of samples) {
    lines.push(`# HELP ${sample.name} ${sample.help}`, `# TYPE ${sample.name} ${sample.type}`);
    for (const { labels, value } of sample.values) {
      const labelText = labels
        ? '{' + Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',') + '}'
        : '';
      lines.push(`${sample.name}${labelText} ${Number.isFinite(value) ? value : 0}`);
    }
  }
  return lines.join('\n') + '\n';
}
