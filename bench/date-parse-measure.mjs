// Which date library parses `--date-format` values strictly and fast enough: date-fns, dayjs
// (customParseFormat, strict) and luxon, on the same cases. Prints a correctness table and
// parses per second. Run: node bench/date-parse-measure.mjs
import { parse as dfParse, isValid } from 'date-fns';
import dayjs from 'dayjs';
import customParseFormat from 'dayjs/plugin/customParseFormat.js';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';
import { DateTime } from 'luxon';

dayjs.extend(customParseFormat);
dayjs.extend(utc);
dayjs.extend(timezone);

// [value, expected ISO date or null when it must be refused]
const DATE_CASES = [
  ['13.11.2022', '2022-11-13'],
  ['01.02.2024', '2024-02-01'],
  ['29.02.2024', '2024-02-29'],
  ['29.02.2023', null],
  ['31.04.2022', null],
  ['32.01.2022', null],
  ['13.13.2022', null],
  ['1.2.2022', null], // DD.MM.YYYY is two digits each
  ['13.11.22', null],
  ['13.11.2022 ', null],
  ['13-11-2022', null],
  ['2022-11-13', null],
  ['13.11.20222', null],
  ['', null],
];
const lib = {
  'date-fns': (v) => {
    const d = dfParse(v, 'dd.MM.yyyy', new Date(2000, 0, 1));
    if (!isValid(d)) return null;
    const iso = `${String(d.getFullYear()).padStart(4, '0')}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    return iso;
  },
  dayjs: (v) => {
    const d = dayjs(v, 'DD.MM.YYYY', true);
    return d.isValid() ? d.format('YYYY-MM-DD') : null;
  },
  luxon: (v) => {
    const d = DateTime.fromFormat(v, 'dd.MM.yyyy', { zone: 'UTC' });
    return d.isValid ? d.toISODate() : null;
  },
};
// Datetimes without an offset, read in Europe/Berlin (across the DST change of 2022-03-27).
const DT_CASES = [
  ['13.11.2022 14:05', '2022-11-13T13:05:00.000Z'],
  ['27.03.2022 03:30', '2022-03-27T01:30:00.000Z'],
  ['01.07.2022 00:00', '2022-06-30T22:00:00.000Z'],
  ['13.11.2022 25:05', null],
];
const dtLib = {
  'date-fns': null, // needs date-fns-tz for a zone: not measured
  dayjs: (v) => {
    const d = dayjs.tz(v, 'DD.MM.YYYY HH:mm', 'Europe/Berlin');
    return d.isValid() ? d.toISOString() : null;
  },
  luxon: (v) => {
    const d = DateTime.fromFormat(v, 'dd.MM.yyyy HH:mm', { zone: 'Europe/Berlin' });
    return d.isValid ? d.toUTC().toISO() : null;
  },
};

for (const [name, fn] of Object.entries(lib)) {
  const wrong = DATE_CASES.filter(([v, want]) => fn(v) !== want).map(([v]) => JSON.stringify(v));
  const dt = dtLib[name];
  const dtWrong = dt ? DT_CASES.filter(([v, want]) => dt(v) !== want).map(([v]) => JSON.stringify(v)) : ['n/a'];
  const n = 200_000;
  const values = Array.from(
    { length: 1000 },
    (_, i) =>
      `${String((i % 28) + 1).padStart(2, '0')}.${String((i % 12) + 1).padStart(2, '0')}.20${String(i % 100).padStart(2, '0')}`,
  );
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(values[i % values.length]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `${name.padEnd(9)} dates wrong ${wrong.length}/${DATE_CASES.length} ${wrong.join(' ')} | zoned datetimes wrong ${dtWrong.join(' ') || 0} | ${Math.round(n / (ms / 1000)).toLocaleString('en')} dates/s`,
  );
}
