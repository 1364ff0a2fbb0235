// Display formats. Money arrives as exact decimal strings and is formatted from the string
// (Intl formats a numeric string without going through a float).
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
const monthName = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

type Numeric = string | number;
const n = (v: Numeric) => v as unknown as number; // Intl accepts exact decimal strings

export const money = (v: Numeric | null | undefined) => (v === null || v === undefined ? '—' : usd.format(n(v)));
export const count = (v: number) => integer.format(v);
export const countCompact = (v: number) => compact.format(v);
export const ratio = (v: number | null | undefined) => (v === null || v === undefined ? '—' : percent.format(v));
export const when = (iso: string) => `${dateTime.format(new Date(iso))} UTC`;
export const day = (isoDate: string) => date.format(new Date(`${isoDate}T00:00:00Z`));
export const monthLabel = (month: string) => monthName.format(new Date(`${month}-01T00:00:00Z`));

/** A chart axis's number format with at most (or, fixed, exactly) a number of fraction digits. */
export type TickFormat = (v: number, fractionDigits: number, fixed?: boolean) => string;

function formatsByDigits(options: Intl.NumberFormatOptions) {
  const made = new Map<string, Intl.NumberFormat>();
  return (digits: number, fixed = false) => {
    const key = `${digits}${fixed ? '=' : '≤'}`;
    let f = made.get(key);
    if (!f) made.set(key, f = new Intl.NumberFormat('en-US', { ...options, minimumFractionDigits: fixed ? digits : 0, maximumFractionDigits: digits }));
    return f;
  };
}
const moneyTicks = formatsByDigits({ style: 'currency', currency: 'USD', notation: 'compact' });
const percentTicks = formatsByDigits({ style: 'percent' });
const numberTicks = formatsByDigits({});
export const moneyTick: TickFormat = (v, d, fixed) => moneyTicks(d, fixed).format(v);
export const percentTick: TickFormat = (v, d, fixed) => percentTicks(d, fixed).format(v);
export const numberTick: TickFormat = (v, d, fixed) => numberTicks(d, fixed).format(v);

/**
 * An axis's tick labels: each tick said exactly (rounding nothing away, so $0.05 is not "$0.1"),
 * with the fewest fraction digits that do it for every tick, hence no two labels alike. Every label
 * then has that many digits ("$0.00, $0.05, $0.10"), as a column of amounts is written, unless the
 * axis crosses compact units ("$500, $1K, $1.5K": "$500.0" would be odder than a ragged column).
 */
export function tickLabels(values: number[], format: TickFormat): string[] {
  for (let digits = 0; digits <= 6; digits++) {
    const labels = values.map(v => format(v, digits));
    if (digits < 6 && !(values.every((v, i) => labels[i] === format(v, 6)) && new Set(labels).size === labels.length)) continue;
    return labels.some(l => /[KMBT]$/.test(l)) ? labels : values.map(v => format(v, digits, true));
  }
  return [];
}

/** YYYY-MM of today (UTC, like the API's periods). */
export const currentMonth = () => new Date().toISOString().slice(0, 7);

export function addMonths(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 + delta, 1));
  return d.toISOString().slice(0, 7);
}

export const isMonth = (s: string | undefined): s is string => !!s && /^\d{4}-(0[1-9]|1[0-2])$/.test(s);

export const titleCase = (constant: string) =>
  constant.toLowerCase().split('_').map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w)).join(' ');
