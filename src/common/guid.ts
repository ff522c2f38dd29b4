/** A GUID (UUID) in its canonical text form, any case: tenant ids, file ids, run ids. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
