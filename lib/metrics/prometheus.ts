/**
 * Prometheus text exposition format 0.0.4, just what we expose: gauges and counters with labels,
 * and histograms. Small enough not to justify a dependency.
 */

export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string>;
export interface Sample {
  labels?: Labels;
  value: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * The samples of an exposition text, by name and labels as written (`name{label="v"}`): what the
 * bench and tests read back from /metrics. Comment lines are skipped.
 */
export function readSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return samples;
}

export class PrometheusText {
  private readonly lines: string[] = [];

  private header(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): void {
    if (!metricName.test(name)) throw new Error(`invalid metric name ${name}`);
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
  }

  private samples(name: string, samples: readonly Sample[]): void {
    for (const s of samples) this.lines.push(`${name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }

  gauge(name: string, help: string, samples: number | readonly Sample[]): this {
    this.header(name, 'gauge', help);
    this.samples(name, typeof samples === 'number' ? [{ value: samples }] : samples);
    return this;
  }

  counter(name: string, help: string, samples: number | readonly Sample[]): this {
    this.header(name, 'counter', help);
    this.samples(name, typeof samples === 'number' ? [{ value: samples }] : samples);
    return this;
  }

  /** `buckets`: upper bounds (ascending) with cumulative counts; +Inf is added from `count`. */
  histogram(name: string, help: string, h: { buckets: readonly { le: number; count: number }[]; sum: number; count: number }): this {
    this.header(name, 'histogram', help);
    for (const b of h.buckets) this.lines.push(`${name}_bucket{le="${formatValue(b.le)}"} ${b.count}`);
    this.lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${formatValue(h.sum)}`, `${name}_count ${h.count}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
