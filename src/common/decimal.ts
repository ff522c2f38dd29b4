import Decimal from 'decimal.js';
import { ValueTransformer } from 'typeorm';

/** Money and fractional seconds: exact decimals; enough precision that no sum in ocrecon ever rounds. */
export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -60, toExpPos: 60 });
export type Dec = Decimal;

/** `numeric` column <-> Decimal, never through a JavaScript number (pg returns numeric as text). */
export const decimalTransformer: ValueTransformer = {
  to: (value: Decimal | string | null | undefined) =>
    value === null || value === undefined ? value : Decimal.isDecimal(value) ? (value as Decimal).toFixed() : String(value),
  from: (value: string | null) => (value === null || value === undefined ? null : new Dec(value)),
};

/** Plain decimal text (`12.83`, never `1.283e1`). */
export function plain(value: Decimal.Value | null | undefined): string {
  if (value === null || value === undefined) return '';
  return new Dec(value).toFixed();
}
