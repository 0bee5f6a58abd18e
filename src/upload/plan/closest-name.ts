/**
 * The field a mistyped or abbreviated column name most likely meant: the same name in another
 * case or spacing (`Amount`, `transaction date`), an abbreviation (`amt`, `acct`), or a near typo.
 */

const normal = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function isAbbreviation(short: string, long: string): boolean {
  if (short.length < 2 || short.length >= long.length || short[0] !== long[0]) return false;
  let at = 0;
  for (const ch of short) {
    at = long.indexOf(ch, at);
    if (at === -1) return false;
    at++;
  }
  return true;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] as number;
}

/** The best candidate for `name`, or null when none is close enough to suggest. */
export function closestName(name: string, candidates: string[]): string | null {
  const n = normal(name);
  if (!n) return null;
  const same = candidates.find((c) => normal(c) === n);
  if (same) return same;
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(n, normal(c));
    const near = d <= Math.max(1, Math.floor(n.length / 3));
    const score = near ? d : isAbbreviation(n, normal(c)) ? 10 + normal(c).length - n.length : Number.POSITIVE_INFINITY;
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
