export const DatabaseUrl = Symbol('DatabaseUrl');
