// Module hooks for a child process: each module URL it loads, one per line, to the file in CLAW_LOAD_LOG.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

if (process.env.CLAW_LOAD_LOG) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function load(url, context, next) {
        appendFileSync(${JSON.stringify(process.env.CLAW_LOAD_LOG)}, url + '\\n');
        return next(url, context);
      }`)}`,
  );
  appendFileSync(process.env.CLAW_LOAD_LOG, '');
}
