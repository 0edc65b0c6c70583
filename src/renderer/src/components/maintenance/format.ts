// Formatting for the maintenance views: token amounts from their smallest unit, durations and SLA
// countdowns, and a clock that follows the chain's time (the sandbox's can be moved forward).
import { useEffect, useState } from 'react';

/** "0.25 ETH" from a whole number of the smallest unit (wei), without floating point. */
export function formatAmount(
  amount: string | bigint | null | undefined,
  decimals = 18,
  symbol = 'ETH',
): string {
  if (amount === null || amount === undefined) return '—';
  const value = BigInt(amount);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** BigInt(decimals);
  const whole = abs / unit;
  let fraction = (abs % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  if (fraction.length > 6) fraction = fraction.slice(0, 6);
  return `${negative ? '−' : ''}${whole.toLocaleString()}${fraction ? `.${fraction}` : ''} ${symbol}`;
}

/** Parses "0.25" (in whole units) into the smallest unit; null when it is not a positive number. */
export function parseAmount(text: string, decimals = 18): string | null {
  const match = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!match || (!match[1] && !match[2])) return null;
  const fraction = (match[2] ?? '').slice(0, decimals).padEnd(decimals, '0');
  const value = BigInt(match[1] || '0') * 10n ** BigInt(decimals) + BigInt(fraction || '0');
  return value > 0n ? value.toString() : null;
}

/** "2 d 3 h", "45 min", "12 s". */
export function formatDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return m < 10 && sec ? `${m} min ${sec} s` : `${m} min`;
  return `${sec} s`;
}

/** "in 3 h 20 min" / "overdue by 5 min". */
export function formatCountdown(remaining: number): string {
  return remaining >= 0 ? `${formatDuration(remaining)} left` : `overdue by ${formatDuration(-remaining)}`;
}

export const formatChainDate = (seconds: number): string =>
  new Date(seconds * 1000).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

export const shortAddress = (address: string | null | undefined): string =>
  address ? `${address.slice(0, 6)}…${address.slice(-4)}` : '—';

/**
 * The chain's time now, ticking every second from the last time main told us (`chainTime` read at
 * wall time `readAt`); falls back to the wall clock when the chain's time is unknown.
 */
export function useChainNow(chainTime: number | null, readAt: number): number {
  const [wall, setWall] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setWall(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const base = chainTime ?? Math.floor(readAt / 1000);
  return base + Math.max(0, Math.floor((wall - readAt) / 1000));
}
