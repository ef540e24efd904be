import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Where `npm run build` puts the console (vite, after `nest build`), relative to the project. */
export const CONSOLE_BUILD_DIR = join('dist', 'console');

/**
 * The routes of the console's own pages: the service answers them with the app's index.html (the app reads
 * the path), and nothing else — an unknown `/api/*` path still gets its 404 problem from the API.
 */
const CONSOLE_ROUTES = /^\/(?:|sign-in|wabas|wabas\/[0-9]{1,32}|phone-numbers)\/?$/;
const ASSET_PREFIX = '/assets/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

// Facebook's JavaScript SDK loads from connect.facebook.net and runs Embedded Signup in facebook.com frames
// and popups; in sandbox mode none of it is needed, so the policy stays 'self' only.
const FACEBOOK_SDK = {
  script: ['https://connect.facebook.net'],
  frame: ['https://www.facebook.com', 'https://web.facebook.com', 'https://business.facebook.com'],
  connect: ['https://*.facebook.com', 'https://connect.facebook.net'],
};

/** Options of {@link serveConsole}. */
export interface ConsoleOptions {
  /** The built console (index.html and assets/); when absent the service serves no console. */
  dir: string;
  /** A real Meta app is configured: allow Facebook's SDK origins in the content security policy. */
  allowFacebookSdk: boolean;
}

interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
}

type Middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/**
 * The strict content security policy of the console's responses: its own scripts and styles only (no inline
 * script or style attribute), API calls to the same origin, no framing of the console.
 */
export function consoleContentSecurityPolicy(allowFacebookSdk: boolean): string {
  const extra = (origins: string[]) => (allowFacebookSdk ? ` ${origins.join(' ')}` : '');
  return [
    "default-src 'self'",
    `script-src 'self'${extra(FACEBOOK_SDK.script)}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${extra(FACEBOOK_SDK.connect)}`,
    `frame-src ${allowFacebookSdk ? FACEBOOK_SDK.frame.join(' ') : "'none'"}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The built console as found beside the running code: dist/console both from the compiled service
 * (dist/src/bootstrap) and from the sources under ts-node or the tests (src/bootstrap). Null when not built.
 */
export function findConsoleBuild(): string | null {
  const candidates = [resolve(__dirname, '..', '..', 'console'), resolve(__dirname, '..', '..', CONSOLE_BUILD_DIR)];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/**
 * Serves the console from memory (it is small: read and gzipped once at start-up): hashed assets under
 * /assets/ cached for a year, index.html for the console's routes revalidated every time, each with the
 * strict CSP. Every other request goes on to the API untouched.
 */
export function serveConsole(options: ConsoleOptions): Middleware {
  const files = loadFiles(options.dir);
  const index = files.get('/index.html');
  if (!index) {
    throw new Error(`The console build in ${options.dir} has no index.html`);
  }
  const policy = consoleContentSecurityPolicy(options.allowFacebookSdk);
  // helmet's `same-origin` would cut the Embedded Signup popup off from the page that opened it, so its
  // session info (a postMessage to the opener) would never arrive.
  const openerPolicy = options.allowFacebookSdk ? 'same-origin-allow-popups' : 'same-origin';
  return (request, response, next) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      next();
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    if (path.startsWith(ASSET_PREFIX)) {
      const asset = files.get(path);
      if (asset) {
        send(request, response, asset, policy, openerPolicy, 'public, max-age=31536000, immutable');
        return;
      }
    } else if (CONSOLE_ROUTES.test(path)) {
      send(request, response, index, policy, openerPolicy, 'no-cache');
      return;
    }
    next();
  };
}

function loadFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const add = (urlPath: string, file: string) => {
    const body = readFileSync(file);
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    const compressible = /^(?:text\/|image\/svg)/.test(type);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(urlPath, { body, gzip: compressible ? gzipSync(body, { level: 9 }) : null, type, etag });
  };
  add('/index.html', join(dir, 'index.html'));
  const assets = join(dir, 'assets');
  if (existsSync(assets)) {
    for (const name of readdirSync(assets)) {
      add(`${ASSET_PREFIX}${name}`, join(assets, name));
    }
  }
  return files;
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  file: StaticFile,
  policy: string,
  openerPolicy: string,
  cacheControl: string,
): void {
  response.setHeader('Content-Security-Policy', policy);
  response.setHeader('Cross-Origin-Opener-Policy', openerPolicy);
  response.setHeader('Cache-Control', cacheControl);
  response.setHeader('ETag', file.etag);
  response.setHeader('Vary', 'Accept-Encoding');
  if (request.headers['if-none-match'] === file.etag) {
    response.statusCode = 304;
    response.end();
    return;
  }
  const gzip = file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) ? file.gzip : null;
  const body = gzip ?? file.body;
  response.statusCode = 200;
  response.setHeader('Content-Type', file.type);
  response.setHeader('Content-Length', body.length);
  if (gzip) {
    response.setHeader('Content-Encoding', 'gzip');
  }
  response.end(request.method === 'HEAD' ? undefined : body);
}
