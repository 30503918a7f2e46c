import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfigText } from '../../src/config/load.js';

const dir = join(import.meta.dirname, 'cases');
const SECRET = 'sk-live-DO-NOT-PRINT';

/** Each bad config is a YAML file paired with its exact expected message (`<name>.expected`). */
describe('config errors name the YAML path and what is wrong', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    test(file, () => {
      const expected = readFileSync(join(dir, file.replace(/\.yaml$/, '.expected')), 'utf8').trimEnd();
      const text = readFileSync(join(dir, file), 'utf8');
      assert.throws(
        () => loadConfigText(text, { source: file, env: { SWITCHYARD_TEST_SECRET: SECRET } }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.message, expected);
          assert.ok(!e.message.includes(SECRET), 'a secret value is never printed');
          return true;
        },
      );
    });
  }
});
