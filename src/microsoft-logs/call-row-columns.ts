/**
 * microsoft_call_rows' columns a stored row fills, with their SQL types, in one fixed order (raw last:
 * `json`, the row's text as received, only checked to be JSON).
 */
export const CALL_COLUMNS = [
  ['id', 'text'], ['source', 'text'], ['call_id', 'text'], ['user_id', 'text'], ['user_principal_name', 'text'], ['user_display_name', 'text'],
  ['start_time', 'timestamptz'], ['end_time', 'timestamptz'], ['duration_seconds', 'integer'], ['charge', 'numeric'], ['connection_charge', 'numeric'],
  ['currency', 'text'], ['call_type', 'text'], ['caller_number', 'text'], ['callee_number', 'text'], ['destination_context', 'text'],
  ['destination_name', 'text'], ['conference_id', 'text'], ['license_capability', 'text'], ['inventory_type', 'text'], ['operator', 'text'],
  ['call_duration_source', 'text'], ['tenant_country_code', 'text'], ['usage_country_code', 'text'], ['successful_call', 'boolean'],
  ['final_sip_code', 'integer'], ['raw', 'json'],
] as const;

/**
 * True when the incoming row (`EXCLUDED`) differs from the stored one: in a typed column or in the raw
 * text (json has no equality; the evidence is its exact text). An identical row is left alone.
 */
export const CALL_ROW_CHANGED = `(${CALL_COLUMNS.map(([n]) => (n === 'raw' ? 'microsoft_call_rows.raw::text' : `microsoft_call_rows.${n}`)).join(', ')})
  IS DISTINCT FROM (${CALL_COLUMNS.map(([n]) => (n === 'raw' ? 'EXCLUDED.raw::text' : `EXCLUDED.${n}`)).join(', ')})`;
