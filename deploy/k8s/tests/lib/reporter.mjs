// node --test reporter: one line per test, failure details, and a last line
// "N passed, N failed" (skipped tests are listed and counted separately, never as passed).
const NODE_SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) [\d.]+$/;

function indent(text, prefix = '    ') {
  return String(text)
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

function describeError(error) {
  const cause = error?.cause ?? error;
  if (cause?.code === 'ERR_ASSERTION' || cause?.name === 'AssertionError') return cause.message;
  // The first frames locate the failure; the runner's own frames below them are noise.
  return String(cause?.stack ?? cause?.message ?? cause)
    .split('\n')
    .slice(0, 6)
    .join('\n');
}

export default async function* reporter(source) {
  const names = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start') {
      names[data.nesting] = data.name;
      names.length = data.nesting + 1;
      continue;
    }
    if (type === 'test:stdout' || type === 'test:stderr') {
      yield data.message;
      continue;
    }
    if (type === 'test:diagnostic') {
      if (!NODE_SUMMARY.test(data.message)) yield `${indent(data.message, '  # ')}\n`;
      continue;
    }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    if (data.details?.type === 'suite') {
      // A suite fails on its own only when a hook or its body throws; report that, not its children.
      const err = data.details?.error;
      if (type === 'test:fail' && err && err.failureType !== 'subtestsFailed') {
        failed += 1;
        yield `FAIL ${data.name} (suite)\n${indent(describeError(err))}\n`;
      }
      continue;
    }
    const full = [...names.slice(0, data.nesting), data.name].join(' > ');
    const ms = data.details?.duration_ms === undefined ? '' : ` (${Math.round(data.details.duration_ms)} ms)`;
    if (data.skip !== undefined || data.todo !== undefined) {
      skipped += 1;
      const reason = data.skip ?? data.todo;
      yield `skip ${full}${typeof reason === 'string' ? ` # ${reason}` : ''}\n`;
    } else if (type === 'test:pass') {
      passed += 1;
      yield `ok   ${full}${ms}\n`;
    } else {
      failed += 1;
      yield `FAIL ${full}${ms}\n${indent(describeError(data.details?.error))}\n`;
    }
  }
  if (skipped > 0) yield `(${skipped} skipped)\n`;
  yield `${passed} passed, ${failed} failed\n`;
}
