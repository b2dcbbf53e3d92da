import { z } from 'zod';

// RFC 3339 date-times as senders write them (https://www.rfc-editor.org/rfc/rfc3339#section-5.6): `T` and `Z`
// in either case (the note under §5.6), a space for the `T` (the same note allows it for readability), any number
// of fraction digits (kept to the millisecond, rounded down), an offset `Z` or `±hh:mm` (`-00:00` too).
// Checked by hand rather than with Date.parse, which rejects lower case and accepts forms RFC 3339 does not.

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const EXAMPLE = 'e.g. 2024-06-01T12:00:00Z or 2024-06-01T19:00:00.5+07:00';

/** Near misses, each with what to change. */
const MISTAKES: readonly [RegExp, string][] = [
  [/^\d{4}-\d{2}-\d{2}$/, 'has a date but no time'],
  [/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/, 'has no time zone offset: end it with Z or ±hh:mm'],
  [/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}([Zz]|[+-]\d{2}:\d{2})$/, 'needs seconds (hh:mm:ss)'],
  [
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:?\d{2}$/,
    'writes its offset without a colon: use ±hh:mm',
  ],
  [/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}\.([Zz]|[+-])/, 'has a decimal point without fraction digits'],
];

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Milliseconds since the epoch of an RFC 3339 date-time, or why it is not one. */
export function parseRfc3339(text: string): number | { error: string } {
  const m = DATE_TIME.exec(text);
  if (m === null) {
    const mistake = MISTAKES.find(([pattern]) => pattern.test(text))?.[1];
    return { error: mistake ?? `is not an RFC 3339 date-time (${EXAMPLE})` };
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return { error: `has month ${month}: months are 01 to 12` };
  if (day < 1 || day > daysIn(year, month)) return { error: `has day ${day}, which ${year}-${m[2]} does not have` };
  if (hour > 23 || minute > 59) return { error: `has time ${m[4]}:${m[5]}: hours are 00 to 23, minutes 00 to 59` };
  if (second === 60) return { error: 'is a leap second (:60), which the stores cannot keep: send :59.999 instead' };
  if (second > 59) return { error: `has second ${second}: seconds are 00 to 59` };
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return { error: `has offset ${m[9]}${m[10]}:${m[11]}: offsets are -23:59 to +23:59` };
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  // Date.UTC reads years 0-99 as 1900-1999; the year is set on its own.
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime() - offsetMinutes * 60_000;
}

/** An RFC 3339 `ts` as milliseconds since the epoch; the issue says what is wrong with the text. */
export const Rfc3339Schema = z.string().transform((text, ctx) => {
  const parsed = parseRfc3339(text);
  if (typeof parsed === 'number') return parsed;
  ctx.addIssue({ code: 'custom', message: `ts '${text}' ${parsed.error}` });
  return z.NEVER;
});
