/**
 * Numbers as a locale writes them (`1.234,56` in de-DE, `1 234,56` in fr-FR, `1’234.56` in de-CH)
 * into the canonical text the server reads (`1234.56`): exactly, as text, never through a float.
 * The separators come from Intl.NumberFormat's formatToParts.
 */

export interface NumberStyle {
  decimal: string;
  /** The grouping separators accepted (a locale's own, and the spaces that stand in for it). */
  groups: string[];
  /** How messages name the style: `de-DE (1.234,56)`. */
  label: string;
}

const SPACES = [' ', '\u00a0', '\u202f'];

/** The style of a locale and/or decimal mark; null when neither is given. */
export function numberStyle(locale?: string, decimalSeparator?: string): NumberStyle | null {
  if (locale === undefined && decimalSeparator === undefined) return null;
  let group: string | undefined;
  let decimal = '.';
  if (locale !== undefined) {
    const parts = new Intl.NumberFormat(locale, { useGrouping: true }).formatToParts(1234567.5);
    group = parts.find((p) => p.type === 'group')?.value;
    decimal = parts.find((p) => p.type === 'decimal')?.value ?? '.';
  }
  if (decimalSeparator !== undefined) decimal = decimalSeparator;
  let groups = group !== undefined && group !== decimal ? [group] : [];
  if (groups.some((g) => SPACES.includes(g))) groups = SPACES;
  if (groups.includes('\u2019')) groups = [...groups, "'"];
  const sample = `1${groups[0] ?? ''}234${decimal}56`;
  return { decimal, groups, label: `${locale ?? `decimal ${JSON.stringify(decimal)}`} (${sample})` };
}

const DIGITS = /^\d+$/;

/**
 * `text` as canonical number text (`-1234.56`), or null when it is not a number in the style.
 * Grouping, when used, must be in threes (`1.234.567`), so `1.5` in de-DE is refused, not 15.
 */
export function parseLocaleNumber(text: string, style: NumberStyle, integer: boolean): string | null {
  let t = text.trim();
  let sign = '';
  if (t.startsWith('-') || t.startsWith('\u2212')) {
    sign = '-';
    t = t.slice(1);
  } else if (t.startsWith('+')) t = t.slice(1);
  const at = t.indexOf(style.decimal);
  const whole = at === -1 ? t : t.slice(0, at);
  const frac = at === -1 ? null : t.slice(at + style.decimal.length);
  if (frac !== null && (integer || !DIGITS.test(frac))) return null;
  let digits = whole;
  const group = style.groups.find((g) => whole.includes(g));
  if (group !== undefined) {
    const parts = whole.split(group);
    if (!/^\d{1,3}$/.test(parts[0] as string) || parts.slice(1).some((p) => !/^\d{3}$/.test(p))) return null;
    digits = parts.join('');
  }
  if (!DIGITS.test(digits)) return null;
  return `${sign}${digits}${frac !== null ? `.${frac}` : ''}`;
}
