import { RestError } from './errors.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a request body as JSON whatever its content type (Connect answers 415 to a body sent without
 * `Content-Type: application/json`, which curl users hit constantly; accepting it breaks no client).
 * An empty body is no body: clients send `PUT …/pause` with a JSON content type and nothing in it.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text, (k, v) => {
      // Such a key would become a prototype when the object is later spread or merged.
      if (k === '__proto__') throw new SyntaxError('the key "__proto__" is not accepted');
      return v;
    });
  } catch (err) {
    throw new RestError(400, `Request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function requireObject(body: unknown, what: string): JsonObject {
  if (!isObject(body)) throw new RestError(400, `Request body must be a JSON object: ${what}`);
  return body;
}

/**
 * A Connect config map: string values; numbers and booleans are taken as their text (Jackson does the same
 * for a Map<String, String>). `nulls` keeps null values (PATCH uses them to remove a key).
 */
export function configMap(obj: JsonObject, where: string, nulls: true): Record<string, string | null>;
export function configMap(obj: JsonObject, where: string, nulls?: false): Record<string, string>;
export function configMap(obj: JsonObject, where: string, nulls = false): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v === null && nulls) out[k] = null;
    else if (v === null) continue;
    else throw new RestError(400, `${where}: the value of "${k}" must be a string, number or boolean`);
  }
  return out;
}

/** Jersey reads a boolean query parameter as true only for "true" (any case). */
export function queryFlag(v: unknown): boolean {
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof s === 'string' && s.toLowerCase() === 'true';
}

export function queryList(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}
