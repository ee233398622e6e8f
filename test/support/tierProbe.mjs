// Loaded with `--import` into an agent under test, started with --allow-natives-syntax: once the
// agent runs, a function made hot here (V8's flags are the process's) says which tier it reached,
// as JSON in the file CLAW_TIER_LOG: { maglev, turbofan }.
import { writeFileSync } from 'node:fs';

// %-syntax in a Function body: this file parses without the flag too.
const status = new Function('f', 'return %GetOptimizationStatus(f)');
function hot(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * 2;
  return s;
}
setTimeout(() => {
  const arr = Array.from({ length: 1000 }, (_, i) => i);
  const until = Date.now() + 3000;
  let st = 0;
  // Hot until it reaches TurboFan (V8's bit 64: Node 20 within ~10,000 calls) or 3 s have gone.
  while (Date.now() < until && !(st & 64)) {
    for (let i = 0; i < 10_000; i++) hot(arr);
    st = status(hot);
  }
  writeFileSync(process.env.CLAW_TIER_LOG, JSON.stringify({ maglev: !!(st & 32), turbofan: !!(st & 64) }));
}, 1000).unref();
