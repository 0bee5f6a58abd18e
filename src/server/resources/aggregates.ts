// Running aggregates of a job's stored records (count, sum, avg, min, max, count_by and the
// job's own counts), kept exact and committed with each chunk.
import {
  addDecimal,
  compareDecimal,
  divideDecimal,
  formatDecimal,
  parseDecimal,
  type Decimal,
} from '../../protocol/decimal.js';
import type { AggregateDef, FieldDef, ResourceDef, SqlValue } from '../../resources/resource-types.js';

/** Running state of one aggregate; plain JSON so it can be committed with each chunk. */
interface Acc {
  n: number;
  sum?: string;
  best?: SqlValue;
  by?: Record<string, number>;
}

export interface AggregateState {
  processed: number;
  stored: number;
  failed: number;
  accs: Record<string, Acc>;
}

const ZERO: Decimal = { units: 0n, scale: 0 };

function toDecimal(v: SqlValue): Decimal {
  return parseDecimal(String(v)) ?? ZERO;
}

/**
 * Orders two decimal texts. Up to 15 digits a double holds each exactly, so comparing numbers is
 * exact and skips two BigInt parses per record and aggregate.
 */
function compareDecimals(a: string, b: string): number {
  if (a.length <= 16 && b.length <= 16) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isFinite(x) && Number.isFinite(y)) return x < y ? -1 : x > y ? 1 : 0;
  }
  return compareDecimal(toDecimal(a), toDecimal(b));
}

/**
 * Aggregates computed as a job runs, over the records it stored. The state goes into the same
 * transaction as each chunk, so a restart continues the sums exactly where the data is.
 */
export class AggregateAccumulator {
  private readonly plan: { def: AggregateDef; index: number; field?: FieldDef }[];

  /** Running sums as BigInt, serialised into `state` only when a chunk commits (hot path). */
  private readonly sums = new Map<string, Decimal>();
  /**
   * Sums of small values kept in a plain number of units (cents) until they could lose precision,
   * then folded into the BigInt sum: BigInt arithmetic per value costs a visible share of the
   * worker's time.
   */
  private readonly fast = new Map<string, number>();
  readonly state: AggregateState;

  constructor(resource: ResourceDef, state?: AggregateState) {
    this.state = state ?? { processed: 0, stored: 0, failed: 0, accs: {} };
    this.plan = resource.aggregates.map((def) => {
      const index = def.field ? resource.fields.findIndex((f) => f.name === def.field) : -1;
      return { def, index, field: index >= 0 ? resource.fields[index] : undefined };
    });
    for (const { def } of this.plan) {
      const acc = (this.state.accs[def.name] ??= { n: 0 });
      if (acc.sum) this.sums.set(def.name, toDecimal(acc.sum));
    }
  }

  /** The state to commit with a chunk. */
  snapshot(): AggregateState {
    for (const name of [...this.fast.keys()]) this.foldFast(name);
    for (const [name, sum] of this.sums) (this.state.accs[name] as Acc).sum = formatDecimal(sum);
    return this.state;
  }

  private foldFast(name: string): void {
    const units = this.fast.get(name);
    const field = this.plan.find((p) => p.def.name === name)?.field;
    if (units === undefined || !field) return;
    const scale = field.type === 'decimal' ? (field.scale ?? 2) : 0;
    this.fast.delete(name);
    this.sums.set(name, addDecimal(this.sums.get(name) ?? ZERO, { units: BigInt(units), scale }));
  }

  private addToSum(name: string, field: FieldDef | undefined, v: SqlValue): void {
    const scale = field?.type === 'decimal' ? (field.scale ?? 2) : 0;
    const text = String(v);
    if (text.length <= 15) {
      const units = Math.round(Number(text) * 10 ** scale);
      if (Number.isSafeInteger(units) && Math.abs(units) < 2 ** 50) {
        const next = (this.fast.get(name) ?? 0) + units;
        this.fast.set(name, next);
        if (Math.abs(next) > 2 ** 51) this.foldFast(name);
        return;
      }
    }
    this.sums.set(name, addDecimal(this.sums.get(name) ?? ZERO, toDecimal(v)));
  }

  addStored(values: SqlValue[]): void {
    this.state.stored++;
    for (const { def, index, field } of this.plan) {
      const acc = this.state.accs[def.name] as Acc;
      if (index < 0) continue;
      const v = values[index] ?? null;
      if (v === null) continue;
      acc.n++;
      switch (def.fn) {
        case 'sum':
        case 'avg':
          this.addToSum(def.name, field, v);
          break;
        case 'min':
        case 'max': {
          if (acc.best === undefined || acc.best === null) acc.best = v;
          else {
            const c =
              field?.type === 'decimal'
                ? compareDecimals(String(v), String(acc.best))
                : v < acc.best
                  ? -1
                  : v > acc.best
                    ? 1
                    : 0;
            if ((def.fn === 'min' && c < 0) || (def.fn === 'max' && c > 0)) acc.best = v;
          }
          break;
        }
        case 'count_by':
          acc.by ??= {};
          acc.by[String(v)] = (acc.by[String(v)] ?? 0) + 1;
          break;
        default:
          break;
      }
    }
  }

  addProcessed(processed: number, failed: number): void {
    this.state.processed += processed;
    this.state.failed += failed;
  }

  /** The aggregate_results object as JSON text: decimals as number literals with their exact digits. */
  resultsJson(): string {
    this.snapshot();
    const parts: string[] = [];
    for (const { def, field } of this.plan) {
      const acc = this.state.accs[def.name] as Acc;
      parts.push(`${JSON.stringify(def.name)}:${this.valueJson(def, acc, field)}`);
    }
    return `{${parts.join(',')}}`;
  }

  private valueJson(def: AggregateDef, acc: Acc, field: FieldDef | undefined): string {
    const scale = field?.type === 'decimal' ? (field.scale ?? 2) : 2;
    switch (def.fn) {
      case 'processed_count':
        return String(this.state.processed);
      case 'success_count':
        return String(this.state.stored);
      case 'error_count':
        return String(this.state.failed);
      case 'count':
        return String(def.field ? acc.n : this.state.stored);
      case 'sum':
        return acc.sum
          ? formatDecimal(field?.type === 'decimal' ? divideDecimal(toDecimal(acc.sum), 1n, scale) : toDecimal(acc.sum))
          : field?.type === 'decimal'
            ? formatDecimal({ units: 0n, scale })
            : '0';
      case 'avg':
        return acc.n === 0 || !acc.sum
          ? 'null'
          : formatDecimal(divideDecimal(toDecimal(acc.sum), BigInt(acc.n), scale));
      case 'min':
      case 'max':
        if (acc.best === undefined || acc.best === null) return 'null';
        return field?.type === 'decimal' || field?.type === 'integer' ? String(acc.best) : JSON.stringify(acc.best);
      case 'count_by':
        return JSON.stringify(acc.by ?? {});
    }
  }
}
