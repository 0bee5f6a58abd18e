/**
 * A small terminal for tests: replays what a reporter wrote (text, \r, \n, cursor moves, erases,
 * autowrap on/off) into rows of characters, so a test can read the screen a person would see.
 * Colours are dropped. The screen is as tall as needed; nothing scrolls away.
 */
export function renderScreen(raw: string, columns: number): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  let autowrap = true;
  const line = () => (rows[row] ??= []);
  const put = (ch: string) => {
    if (col >= columns) {
      if (!autowrap) {
        col = columns - 1;
      } else {
        row++;
        col = 0;
      }
    }
    const l = line();
    while (l.length < col) l.push(' ');
    l[col] = ch;
    col++;
  };
  // eslint-disable-next-line no-control-regex -- parsing terminal output
  const token = /\x1b\[([?]?)([0-9;]*)([A-Za-z])|\x1b[78]|\r|\n|[^\x1b\r\n]/gu;
  for (const m of raw.matchAll(token)) {
    const t = m[0];
    if (t === '\n') {
      row++;
      col = 0; // Node's tty output is in cooked mode: \n is \r\n
      line();
    } else if (t === '\r') col = 0;
    else if (t.startsWith('\x1b[')) {
      const [, priv, args, cmd] = m;
      const n = Number(args || 0);
      if (priv === '?') {
        if (args === '7') autowrap = cmd === 'h';
        continue;
      }
      switch (cmd) {
        case 'A':
          row = Math.max(0, row - (n || 1));
          break;
        case 'B':
          row += n || 1;
          line();
          break;
        case 'C':
          col = Math.min(columns - 1, col + (n || 1));
          break;
        case 'D':
          col = Math.max(0, col - (n || 1));
          break;
        case 'G':
          col = Math.max(0, (n || 1) - 1);
          break;
        case 'K': {
          const l = line();
          if (n === 0) l.length = Math.min(l.length, col);
          else if (n === 1) for (let i = 0; i <= col && i < l.length; i++) l[i] = ' ';
          else l.length = 0;
          break;
        }
        case 'J':
          line().length = Math.min(line().length, col);
          rows.length = row + 1;
          break;
        default:
          break; // colours and the rest do not move anything
      }
    } else if (t.startsWith('\x1b')) continue;
    else put(t);
  }
  const out = rows.map((r) => (r ?? []).join('').trimEnd());
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return out;
}
