// What the browser tests share: the cp247 binary and screenshot settings, the check counter,
// TOTP codes, and the demo network (`cp247 demo`) with its users' credentials.

import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..');
export const bin = process.env.CP247_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'cp247');
export const shots = join(root, 'docs', 'screenshots');
export const saveShots = process.env.CP247_SCREENSHOTS !== '0';

let failures = 0;
/** Prints `ok`/`FAIL` for one check and counts failures; returns `ok`. */
export function check(ok, what) {
  if (ok) {
    console.log(`ok   ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL ${what}`);
  }
  return ok;
}

/** How many checks failed so far. */
export function failureCount() {
  return failures;
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret.
export function totp(secret, when = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(when / 1000 / 30)));
  const h = createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const o = h[h.length - 1] & 0x0f;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

// Starts the demo network and resolves with its output once the nodes run.
export function startDemo() {
  const child = spawn(bin, ['demo'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cp247 demo was not ready in 300 s:\n${out}`)), 300_000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('The nodes run until you press Ctrl-C')) {
        clearTimeout(timer);
        resolve({ child, out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cp247 demo exited with ${code}:\n${out}`));
    });
  });
}

export function credentials(out, party, user) {
  const block = out.split(/\n {2}(?=[A-Z]{2} {2}http)/).find((b) => b.startsWith(`${party}  http`));
  if (!block) throw new Error(`no ${party} node in the demo output`);
  const url = block.match(/^\w+ {2}(http\S+)/)[1];
  const m = block.match(new RegExp(`${user} \\(\\w+\\): password (\\S+) {2}TOTP secret (\\S+)`));
  if (!m) throw new Error(`no ${user} credentials for ${party}`);
  return { url, username: user, password: m[1], secret: m[2] };
}

export async function shot(page, name) {
  if (saveShots) {
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }
}
