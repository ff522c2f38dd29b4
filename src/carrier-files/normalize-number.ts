import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { FieldError } from './parse-values';

const E164 = /^\+[1-9]\d{6,14}$/;
const SEPARATORS = /[\s\-.()/]/g;

/**
 * A telephone number as E.164. Numbers already in E.164 (nearly every row) take the fast path;
 * `00` international prefixes are rewritten; national forms need the profile's default country and
 * go through libphonenumber.
 */
export function normalizeNumber(text: string, defaultCountry: string | null, stripPrefixes: readonly string[]): string {
  if (E164.test(text)) return text;
  let s = text;
  for (const prefix of stripPrefixes) {
    if (s.toLowerCase().startsWith(prefix.toLowerCase())) {
      s = s.slice(prefix.length);
      break;
    }
  }
  if (s.toLowerCase().startsWith('tel:')) s = s.slice(4);
  s = s.replace(SEPARATORS, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  if (E164.test(s)) return s;
  if (s.startsWith('+') || !defaultCountry) {
    throw new FieldError(
      s.startsWith('+') || /^\d+$/.test(s)
        ? `is not an E.164 number${defaultCountry ? '' : ' (national numbers need defaultCountry in the profile)'}`
        : 'is not a telephone number',
    );
  }
  if (!/^\d+$/.test(s)) throw new FieldError('is not a telephone number');
  const parsed = parsePhoneNumberFromString(s, defaultCountry as CountryCode);
  if (!parsed || !parsed.isPossible() || !E164.test(parsed.number)) throw new FieldError(`is not a possible ${defaultCountry} number`);
  return parsed.number;
}
