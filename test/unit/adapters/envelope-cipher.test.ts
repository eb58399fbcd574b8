import { describe, it } from 'vitest';
import { createEnvelopeCipher } from '../../../src/adapters/webcrypto/envelope-cipher.ts';
import { envelopeChecks } from '../../support/suites/envelope-checks.ts';

// The same checks run inside workerd in test/workerd/envelope-cipher.test.ts.
describe('envelope cipher on Node', () => {
  for (const [name, check] of Object.entries(envelopeChecks)) it(name, () => check(createEnvelopeCipher));
});
