/**
 * @module observability/exposition — a writer for the Prometheus text exposition format (0.0.4): metric
 * families with HELP and TYPE, label sets rendered and escaped once and reused across families, values
 * formatted per the format (NaN, +Inf, -Inf). It exists because prom-client's Registry, whose Gauges hash
 * every label set, took about 1.5 s for a 10,000-host fleet; this one renders the same text in a fraction.
 * See https://prometheus.io/docs/instrumenting/exposition_formats/.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NEEDS_ESCAPE = /[\\"\n]/;

/** A label value as the format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** A rendered, escaped label set (`a="x",b="y"`), built once and shared by every family that uses it. */
export class LabelSet {
  private constructor(readonly text: string) {}

  static readonly empty = new LabelSet('');

  static of(labels: Readonly<Record<string, string>>): LabelSet {
    return LabelSet.empty.with(labels);
  }

  /** This set plus `labels` (names must not repeat ones already in the set). */
  with(labels: Readonly<Record<string, string>>): LabelSet {
    let text = this.text;
    for (const [name, value] of Object.entries(labels)) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`invalid label name ${name}`);
      text += `${text === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
    }
    return new LabelSet(text);
  }
}

export type MetricType = 'gauge' | 'counter' | 'untyped';

/** One metric family: its samples, in the order they were added. */
export class MetricFamily {
  private readonly lines: string[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${name}`);
  }

  add(labels: LabelSet, value: number): void {
    this.lines.push(
      labels.text === ''
        ? `${this.name} ${formatValue(value)}\n`
        : `${this.name}{${labels.text}} ${formatValue(value)}\n`,
    );
  }

  get size(): number {
    return this.lines.length;
  }

  render(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n${this.lines.join('')}`;
  }
}

/** Families in declaration order; `text()` is the whole exposition. */
export class ExpositionWriter {
  static readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly families = new Map<string, MetricFamily>();

  family(name: string, help: string, type: MetricType = 'gauge'): MetricFamily {
    if (this.families.has(name)) throw new Error(`metric ${name} declared twice`);
    const family = new MetricFamily(name, help, type);
    this.families.set(name, family);
    return family;
  }

  text(): string {
    let out = '';
    for (const family of this.families.values()) out += family.render();
    return out;
  }
}
