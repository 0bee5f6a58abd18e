/**
 * The words for true and false in a file's language (de: ja/nein, wahr/falsch as Excel writes
 * WAHR/FALSCH), beside the ones the server reads itself (true/false, yes/no, 1/0, t/f, y/n).
 * Intl has no such words, so they are listed here for the languages spreadsheets are used in.
 */

/** By language: [true words, false words], each as written in lower case. */
const WORDS: Record<string, [string[], string[]]> = {
  de: [
    ['ja', 'wahr', 'j'],
    ['nein', 'falsch', 'n'],
  ],
  fr: [
    ['oui', 'vrai', 'o'],
    ['non', 'faux', 'n'],
  ],
  es: [
    ['sí', 'si', 'verdadero', 's'],
    ['no', 'falso', 'n'],
  ],
  it: [
    ['sì', 'si', 'vero', 's'],
    ['no', 'falso', 'n'],
  ],
  pt: [
    ['sim', 'verdadeiro', 's'],
    ['não', 'nao', 'falso', 'n'],
  ],
  nl: [
    ['ja', 'waar', 'j'],
    ['nee', 'onwaar', 'n'],
  ],
  sv: [
    ['ja', 'sant', 'j'],
    ['nej', 'falskt', 'n'],
  ],
  da: [
    ['ja', 'sand', 'j'],
    ['nej', 'falsk', 'n'],
  ],
  nb: [
    ['ja', 'sann', 'j'],
    ['nei', 'usann', 'n'],
  ],
  fi: [
    ['kyllä', 'tosi', 'k'],
    ['ei', 'epätosi', 'e'],
  ],
  pl: [
    ['tak', 'prawda', 't'],
    ['nie', 'fałsz', 'n'],
  ],
  cs: [
    ['ano', 'pravda', 'a'],
    ['ne', 'nepravda', 'n'],
  ],
};
WORDS.no = WORDS.nb as [string[], string[]];

/** What the server itself reads as true or false. */
export const SERVER_TRUE = ['true', '1', 'yes', 't', 'y'];
export const SERVER_FALSE = ['false', '0', 'no', 'f', 'n'];

export interface BooleanWords {
  true: Set<string>;
  false: Set<string>;
  /** `ja, wahr, nein, falsch` for messages. */
  label: string;
  /** Lower-cases as the language does. */
  lower(text: string): string;
}

function languageOf(locale: string): string {
  return new Intl.Locale(locale).language;
}

/** The words of a locale, or the ones given (which replace the locale's). Null when none apply. */
export function booleanWords(locale?: string, trueValues?: string[], falseValues?: string[]): BooleanWords | null {
  const own = locale !== undefined ? WORDS[languageOf(locale)] : undefined;
  const t = trueValues ?? own?.[0];
  const f = falseValues ?? own?.[1];
  if (!t && !f) return null;
  const lower = (s: string) => (locale ? s.toLocaleLowerCase(locale) : s.toLowerCase());
  const trues = new Set((t ?? []).map(lower));
  const falses = new Set((f ?? []).map(lower));
  // The server's own words still mean what they mean, unless the file's words say otherwise.
  for (const w of SERVER_TRUE) if (!falses.has(w)) trues.add(w);
  for (const w of SERVER_FALSE) if (!trues.has(w)) falses.add(w);
  return { true: trues, false: falses, label: [...(t ?? []), ...(f ?? [])].join(', '), lower };
}

/** The languages whose words `value` is: for a hint (`ja` → de, nl, sv, da, nb). */
export function languagesWith(value: string): string[] {
  const v = value.trim().toLowerCase();
  return Object.entries(WORDS)
    .filter(([, [t, f]]) => t.includes(v) || f.includes(v))
    .map(([lang]) => lang);
}
