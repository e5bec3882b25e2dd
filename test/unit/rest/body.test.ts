import { describe, expect, it } from 'vitest';
import { configMap, parseJsonBody, queryFlag, queryList } from '../../../runtime/rest/body.js';
import { errorBody, RestError } from '../../../runtime/rest/errors.js';
import { HerderError } from '../../../runtime/worker/errors.js';

describe('REST bodies', () => {
  it('parses JSON; an empty or blank body is no body', () => {
    expect(parseJsonBody('{"a": [1, "x"]}')).toEqual({ a: [1, 'x'] });
    expect(parseJsonBody('')).toBeUndefined();
    expect(parseJsonBody(' \n')).toBeUndefined();
  });

  it('refuses malformed JSON and __proto__ keys with a 400', () => {
    for (const text of ['{', '{"a": }', '{"__proto__": {"x": 1}}', '{"a": {"__proto__": 1}}']) {
      let err: unknown;
      try {
        parseJsonBody(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RestError);
      expect((err as RestError).status).toBe(400);
    }
  });

  it('reads a config map: numbers and booleans as text, nulls dropped or kept, nested values refused', () => {
    expect(configMap({ a: 'x', b: 2, c: true, d: null }, 'config')).toEqual({ a: 'x', b: '2', c: 'true' });
    expect(configMap({ a: null }, 'config', true)).toEqual({ a: null });
    expect(() => configMap({ a: { b: 1 } }, 'config')).toThrow(
      'config: the value of "a" must be a string, number or boolean',
    );
    expect(() => configMap({ a: ['x'] }, 'config')).toThrow(RestError);
  });

  it('reads query flags as Jersey does: true only for "true", any case; the last one wins', () => {
    expect(queryFlag('true')).toBe(true);
    expect(queryFlag('TRUE')).toBe(true);
    expect(queryFlag('yes')).toBe(false);
    expect(queryFlag(undefined)).toBe(false);
    expect(queryFlag(['true', 'false'])).toBe(false);
    expect(queryList(['status', 'info'])).toEqual(['status', 'info']);
    expect(queryList('status')).toEqual(['status']);
    expect(queryList(undefined)).toEqual([]);
  });
});

describe('REST error bodies', () => {
  it("keep a herder error's status and message", () => {
    expect(errorBody(new HerderError(409, 'Connector x already exists'), 1024)).toEqual({
      error_code: 409,
      message: 'Connector x already exists',
    });
  });

  it("map Fastify's body limit to 413 naming the limit, and anything else to 500", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(errorBody(tooLarge, 2048)).toEqual({
      error_code: 413,
      message: 'Request body is larger than rest.max.body.bytes (2048 bytes)',
    });
    expect(errorBody(new TypeError('boom'), 1024)).toEqual({ error_code: 500, message: 'boom' });
  });
});
