/**
 * Answers from outside (another agent, Jaeger, Tempo) checked against a TypeBox schema before
 * any code walks them: what passes has the schema's static type, with no casts; what does not
 * is refused with the first reason ajv found, naming where in the answer it is.
 */
import { Ajv } from 'ajv';
const ajv = new Ajv({ allErrors: false, strict: false });
export function checker(schema) {
    const validate = ajv.compile(schema);
    return (value) => {
        if (validate(value))
            return { ok: true, value };
        const e = validate.errors?.[0];
        return { ok: false, why: e ? `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}` : 'invalid' };
    };
}
/**
 * A response body as JSON, refused when longer than `maxBytes` (a hostile or broken peer must not
 * make this process buffer without bound).
 */
export async function boundedJson(res, maxBytes) {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes)
        throw new Error(`the answer is ${declared} bytes, more than the ${maxBytes} accepted`);
    const chunks = [];
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
        return JSON.parse(text);
    }
    catch {
        throw new Error('the answer is not JSON');
    }
}
//# sourceMappingURL=schema.js.map