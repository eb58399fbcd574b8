import { startWorker } from '../support/workerd.ts';
import { describeHttpEdge } from '../support/suites/http-edge-suite.ts';

// The fetch router inside workerd, reached over real HTTP: bundled without nodejs_compat, so a
// Node API anywhere in the router or the route table's imports fails the build.
describeHttpEdge('fetch router in workerd', async () => {
  const worker = await startWorker({
    entry: 'test/workerd/fixtures/router-worker.ts',
    compatibilityDate: '2025-09-01',
  });
  return {
    request: (path, init) => worker.fetch(path, init),
    close: () => worker.dispose(),
  };
});
