import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');

/** The Node flags before `dist/src/main.js` in a command line, or null when it does not run the service. */
function nodeFlags(command: string): string[] | null {
  const match = /(?:^|\s)node((?:\s+--\S+)*)\s+dist\/src\/main\.js(?:\s|"|$)/.exec(command);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : null;
}

// The heap bounds are what keeps the service's RSS under its target (README, Performance): every way of
// starting the built service must run it with the same ones, the bench's instances included (test/bench/fleet.ts
// reads `start`).
describe('The Node flags the service starts with', () => {
  const scripts = (
    JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const compose = readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8');

  it('should bound the heap in `npm start`', () => {
    const flags = nodeFlags(scripts.start);

    expect(flags).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });

  it('should be the same in `npm run start:prod` and in docker-compose.yml', () => {
    const flags = nodeFlags(scripts.start);

    expect(nodeFlags(scripts['start:prod'])).toEqual(flags);
    expect(nodeFlags(compose)).toEqual(flags);
  });
});
