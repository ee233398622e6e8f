/**
 * Answers from outside (another agent, Jaeger, Tempo) checked against a TypeBox schema before
 * any code walks them: what passes has the schema's static type, with no casts; what does not
 * is refused with the first reason ajv found, naming where in the answer it is.
 */

import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';

const ajv = new Ajv({ allErrors: false, strict: false });

export type Check<T extends TSchema> = (value: unknown) => { ok: true; value: Static<T> } | { ok: false; why: string };

export function checker<T extends TSchema>(schema: T): Check<T> {
  const validate = ajv.compile<Static<T>>(schema);
  return (value) => {
    if (validate(value)) return { ok: true, value };
    const e = validate.errors?.[0];
    return { ok: false, why: e ? `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}` : 'invalid' };
  };
}

/**
 * A response body as JSON, refused when longer than `maxBytes` (a hostile or broken peer must not
 * make this process buffer without bound).
 */
export async function boundedJson(res: Response, maxBytes: number): Promise<unknown> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new Error(`the answer is ${declared} bytes, more than the ${maxBytes} accepted`);
  const chunks: Uint8Array[] = [];
  let n = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      n += chunk.byteLength;
      if (n > maxBytes) {
        await res.body.cancel().catch(() => undefined);
        throw new Error(`the answer is more than the ${maxBytes} bytes accepted`);
      }
      chunks.push(chunk);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('the answer is not JSON');
  }
}
