// Retention that never deletes what runs, checked against a MODEL of ECR's lifecycle policy
// evaluation (lib/ecr-lifecycle.mjs; what it models and what it does not is written there),
// not against AWS. The policy under test is the one the registry stack applies: its template
// rendered with the stack's variable defaults, as templatefile() renders it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DAY, Repository, evaluate, renderTemplate, validate } from './lib/ecr-lifecycle.mjs';
import { TF_ROOT, block, loadModule } from './lib/tf.mjs';

const REGISTRY = join(TF_ROOT, 'registry');
const registry = await loadModule(REGISTRY);

function defaultOf(name) {
  return registry.variables[name].body.default;
}

// The templatefile() call of aws_ecr_lifecycle_policy.app: its template and arguments, each
// argument a variable (or a variable's attribute) whose default is used.
function shippedPolicy() {
  const call = block(registry, 'aws_ecr_lifecycle_policy.app').body.policy;
  const file = /templatefile\("\$\{path\.module\}\/([^"]+)"/.exec(call)?.[1];
  assert.ok(file, `cannot read the template of ${call}`);
  const args = {};
  for (const [, name, path] of call.matchAll(/(\w+)\s*=\s*var\.([\w.]+)/g)) {
    const [variable, ...attrs] = path.split('.');
    args[name] = attrs.reduce((value, attr) => value[attr], defaultOf(variable));
  }
  return JSON.parse(renderTemplate(readFileSync(join(REGISTRY, file), 'utf8'), args));
}

function shippedMutability() {
  const repo = block(registry, 'aws_ecr_repository.app').body;
  return {
    mutability: repo.image_tag_mutability,
    mutableTagPatterns: (repo.image_tag_mutability_exclusion_filter ?? []).map((f) => f.filter),
  };
}

const POLICY = shippedPolicy();
const KEEP = defaultOf('keep_deployed_images');
const UNDEPLOYED_DAYS = defaultOf('expire_undeployed_after_days');
const OLD_POLICY = JSON.parse(
  readFileSync(join(TF_ROOT, 'tests/fixtures/ecr-lifecycle-keep-30.json'), 'utf8'),
);

// UTC time as the deploy tag writes it: 20261204T210000Z.
function stamp(at) {
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

// The deploy interface (deploy/terraform/README.md, "The image registry"): tag the digest
// deployed-<env>-<time>, move previous-<env> to what ran, move running-<env> to the digest.
function deploy(repo, env, digest, at, { markers = true } = {}) {
  repo.tag(digest, `deployed-${env}-${stamp(at)}`);
  if (!markers) return;
  const running = repo.taggedWith(`running-${env}`);
  if (running && running !== digest) repo.tag(running, `previous-${env}`);
  repo.tag(digest, `running-${env}`);
}

// Day by day: `each(day, at)` pushes and deploys; ECR then applies the policy. Returns the
// first day on which an image an environment runs (or its rollback target) cannot be pulled.
function simulate(repo, days, each, watched) {
  for (let day = 1; day <= days; day++) {
    const at = day * DAY;
    each(day, at);
    repo.applyLifecycle(at + DAY / 2);
    for (const digest of watched()) if (digest && !repo.pullable(digest)) return { day, digest };
  }
  return undefined;
}

const running = (repo) => () =>
  ['prod', 'dev'].flatMap((env) => [repo.taggedWith(`running-${env}`), repo.taggedWith(`previous-${env}`)]);

describe('model of ECR lifecycle evaluation (not AWS): the documented examples', () => {
  // Lifecycle policy examples, "Filtering on multiple rules" and "on multiple tags in a single rule".
  const imgs = (spec) =>
    spec.map(([digest, tags, daysAgo]) => ({
      digest,
      tags: new Set(tags),
      pushedAt: 100 * DAY - daysAgo * DAY,
    }));
  const rule = (rulePriority, selection) => ({ rulePriority, selection, action: { type: 'expire' } });
  const now = 100 * DAY;

  test('multiple rules, example A: prod first, then beta; only image A is expired', () => {
    const images = imgs([
      ['A', ['beta-1', 'prod-1'], 10],
      ['B', ['beta-2', 'prod-2'], 9],
      ['C', ['beta-3'], 8],
    ]);
    const policy = {
      rules: [
        rule(1, {
          tagStatus: 'tagged',
          tagPrefixList: ['prod'],
          countType: 'imageCountMoreThan',
          countNumber: 1,
        }),
        rule(2, {
          tagStatus: 'tagged',
          tagPrefixList: ['beta'],
          countType: 'imageCountMoreThan',
          countNumber: 1,
        }),
      ],
    };
    assert.deepEqual([...evaluate(policy, images, now).keys()].sort(), ['A']);
  });

  test('multiple rules, example B: beta first, then prod; images A and B are expired', () => {
    const images = imgs([
      ['A', ['beta-1', 'prod-1'], 10],
      ['B', ['beta-2', 'prod-2'], 9],
      ['C', ['beta-3'], 8],
    ]);
    const policy = {
      rules: [
        rule(1, {
          tagStatus: 'tagged',
          tagPrefixList: ['beta'],
          countType: 'imageCountMoreThan',
          countNumber: 1,
        }),
        rule(2, {
          tagStatus: 'tagged',
          tagPrefixList: ['prod'],
          countType: 'imageCountMoreThan',
          countNumber: 1,
        }),
      ],
    };
    assert.deepEqual([...evaluate(policy, images, now).keys()].sort(), ['A', 'B']);
  });

  test('multiple tags in one rule, example A: alpha and beta older than 5 days; image C', () => {
    const images = imgs([
      ['A', ['alpha-1'], 12],
      ['B', ['beta-1'], 11],
      ['C', ['alpha-2', 'beta-2'], 10],
      ['D', ['alpha-3'], 4],
      ['E', ['beta-3'], 3],
      ['F', ['alpha-4', 'beta-4'], 2],
    ]);
    const policy = {
      rules: [
        rule(1, {
          tagStatus: 'tagged',
          tagPrefixList: ['alpha', 'beta'],
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 5,
        }),
      ],
    };
    assert.deepEqual([...evaluate(policy, images, now).keys()], ['C']);
  });

  test('multiple tags in one rule, example B: tags are not exclusive; images A and B', () => {
    const images = imgs([
      ['A', ['alpha-1', 'beta-1', 'gamma-1'], 10],
      ['B', ['alpha-2', 'beta-2'], 9],
      ['C', ['alpha-3', 'beta-3', 'gamma-2'], 8],
    ]);
    const policy = {
      rules: [
        rule(1, {
          tagStatus: 'tagged',
          tagPrefixList: ['alpha', 'beta'],
          countType: 'imageCountMoreThan',
          countNumber: 1,
        }),
      ],
    };
    assert.deepEqual([...evaluate(policy, images, now).keys()].sort(), ['A', 'B']);
  });

  test('patterns: prod* matches prod, prod1 and prod-2, not preprod', () => {
    const images = imgs([
      ['A', ['prod'], 30],
      ['B', ['prod1'], 30],
      ['C', ['prod-2'], 30],
      ['D', ['preprod'], 30],
    ]);
    const policy = {
      rules: [
        rule(1, {
          tagStatus: 'tagged',
          tagPatternList: ['prod*'],
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 14,
        }),
      ],
    };
    assert.deepEqual([...evaluate(policy, images, now).keys()].sort(), ['A', 'B', 'C']);
  });

  test('the constraints ECR documents are enforced', () => {
    const ok = { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 };
    const bad = [
      [{ rules: [rule(1, ok), rule(1, { ...ok, tagStatus: 'any' })] }, /unique/],
      [
        {
          rules: [
            rule(1, { ...ok, tagStatus: 'any' }),
            rule(2, {
              tagStatus: 'tagged',
              tagPrefixList: ['x'],
              countType: 'imageCountMoreThan',
              countNumber: 1,
            }),
          ],
        },
        /highest rulePriority/,
      ],
      [{ rules: [rule(1, ok), rule(2, ok)] }, /one rule may select untagged/],
      [
        { rules: [rule(1, { ...ok, tagStatus: 'tagged' })] },
        /exactly one of tagPrefixList and tagPatternList/,
      ],
      [
        { rules: [rule(1, { ...ok, tagStatus: 'tagged', tagPrefixList: ['a'], tagPatternList: ['a*'] })] },
        /exactly one of/,
      ],
      [{ rules: [rule(1, { ...ok, tagPrefixList: ['a'] })] }, /only a tagged rule may list tags/],
      [
        { rules: [rule(1, { ...ok, tagStatus: 'tagged', tagPatternList: ['a*b*c*d*e*'] })] },
        /more than 4 wildcards/,
      ],
      [{ rules: [rule(1, { ...ok, countUnit: 'days' })] }, /countUnit is only for sinceImagePushed/],
      [{ rules: [rule(1, { ...ok, countType: 'sinceImagePushed' })] }, /needs countUnit "days"/],
      [{ rules: [rule(1, { ...ok, countNumber: 0 })] }, /positive integer/],
      [{ rules: [rule(1, { ...ok, countType: 'sinceImagePulled', countUnit: 'days' })] }, /not modelled/],
    ];
    for (const [policy, message] of bad)
      assert.match(validate(policy).join('; '), message, JSON.stringify(policy));
    assert.deepEqual(validate(POLICY), []);
    assert.deepEqual(validate(OLD_POLICY), []);
  });
});

describe("model of ECR lifecycle evaluation (not AWS): the registry stack's policy", () => {
  test('the running digest survives 500 later pushes that nobody deploys', () => {
    const repo = new Repository({ policy: POLICY, ...shippedMutability() });
    const first = repo.push('c0', 'git-c0', 0);
    deploy(repo, 'dev', first, 0);
    deploy(repo, 'prod', first, 0);
    const broken = simulate(repo, 500, (day, at) => repo.push(`c${day}`, `git-c${day}`, at), running(repo));
    assert.equal(
      broken,
      undefined,
      `the image an environment runs was expired on day ${broken?.day}: ${broken?.digest}`,
    );
    assert.ok(repo.pullable(first));
    // Retention still works: the undeployed builds older than the limit are gone.
    const undeployed = [...repo.images.values()].filter(
      (img) => img.children && ![...img.tags].some((t) => !t.startsWith('git-')),
    );
    assert.equal(undeployed.length, UNDEPLOYED_DAYS);
  });

  test('daily dev deploys, prod promotions and a rollback never expire what runs, and keep the last deployed per environment', () => {
    const repo = new Repository({ policy: POLICY, ...shippedMutability() });
    const prodDeployed = [];
    const devDeployed = [];
    const broken = simulate(
      repo,
      400,
      (day, at) => {
        const digest = repo.push(`c${day}`, `git-c${day}`, at);
        if (day <= 200) {
          deploy(repo, 'dev', digest, at);
          devDeployed.push(digest);
        }
        // Prod takes what dev ran the day before, every third day, until day 150.
        if (day % 3 === 0 && day <= 150) {
          const ran = repo.taggedWith('running-dev');
          deploy(repo, 'prod', ran, at);
          prodDeployed.push(ran);
        }
        // Day 151: prod rolls back to the oldest deployed image it still has (the last of the
        // kept ones), then sits there while dev moves on for 50 days and pushes for 250.
        if (day === 151) {
          const oldest = [...new Set(prodDeployed)]
            .filter((d) => repo.images.has(d))
            .sort((a, b) => repo.images.get(a).pushedAt - repo.images.get(b).pushedAt)[0];
          deploy(repo, 'prod', oldest, at);
        }
      },
      running(repo),
    );
    assert.equal(
      broken,
      undefined,
      `the image an environment runs was expired on day ${broken?.day}: ${broken?.digest}`,
    );
    const keptProd = [...repo.images.values()].filter((img) =>
      [...img.tags].some((t) => t.startsWith('deployed-prod-')),
    );
    assert.equal(keptProd.length, KEEP.prod);
    // Prod deployed in push order, so its last deploys are its newest pushes.
    const newest = [...new Set(prodDeployed)].slice(-KEEP.prod);
    for (const digest of newest)
      assert.ok(repo.pullable(digest), `${digest}, one of the last ${KEEP.prod} prod deployed, was expired`);
    // Dev keeps its newest; an image prod also deployed is kept or expired by prod's rule, which
    // comes first (a lower-priority rule cannot expire what a higher one selected).
    const devNewest = [...new Set(devDeployed)].slice(-KEEP.dev);
    for (const digest of devNewest)
      assert.ok(repo.pullable(digest), `${digest}, one of the last ${KEEP.dev} dev deployed, was expired`);
    const keptDev = [...repo.images.values()].filter((img) =>
      [...img.tags].some((t) => t.startsWith('deployed-dev-')),
    );
    const explained = new Set([...devNewest, ...keptProd.map((img) => img.digest), ...running(repo)()]);
    assert.deepEqual(
      keptDev.map((img) => img.digest).filter((d) => !explained.has(d)),
      [],
    );
  });

  // Prod deploys a digest older than its last KEEP.prod deployed images (a rollback to what
  // dev has been running all along): counted by push time it is past the kept ones, and only
  // the running-prod rule keeps it. The same history under the policy without the marker rules
  // loses it: the check below can fail.
  function olderThanTheKeptOnes(policy) {
    const repo = new Repository({ policy, ...shippedMutability() });
    const y = repo.push('y', 'git-y', 0);
    deploy(repo, 'dev', y, 0);
    let day = 1;
    for (; day <= KEEP.prod + 5; day++)
      deploy(repo, 'prod', repo.push(`c${day}`, `git-c${day}`, day * DAY), day * DAY);
    deploy(repo, 'prod', y, day * DAY);
    // Dev moves on twice: y is no longer dev's running or previous image.
    for (const n of [1, 2])
      deploy(repo, 'dev', repo.push(`d${n}`, `git-d${n}`, (day + n) * DAY), (day + n) * DAY);
    return {
      y,
      broken: simulate(
        repo,
        100,
        () => {},
        () => [y],
      ),
    };
  }

  test('a digest older than the last deployed ones survives while prod runs it', () => {
    const { broken } = olderThanTheKeptOnes(POLICY);
    assert.equal(broken, undefined, `prod's running image was expired on day ${broken?.day}`);
  });

  test('fixture: without the running/previous rules that digest is expired', () => {
    const withoutMarkers = {
      rules: POLICY.rules.filter((r) => !/^(running|previous)-/.test(r.selection.tagPatternList?.[0] ?? '')),
    };
    assert.equal(withoutMarkers.rules.length, POLICY.rules.length - 4);
    const { y, broken } = olderThanTheKeptOnes(withoutMarkers);
    assert.equal(broken?.digest, y);
  });

  test('running and previous markers move; every other tag stays immutable', () => {
    const repo = new Repository({ policy: POLICY, ...shippedMutability() });
    const a = repo.push('a', 'git-a', 0);
    const b = repo.push('b', 'git-b', DAY);
    deploy(repo, 'prod', a, DAY);
    deploy(repo, 'prod', b, 2 * DAY);
    assert.equal(repo.taggedWith('running-prod'), b);
    assert.equal(repo.taggedWith('previous-prod'), a);
    assert.throws(() => repo.tag(b, 'git-a'), /ImageTagAlreadyExistsException/);
  });
});

describe('model of ECR lifecycle evaluation (not AWS): fixtures that lose what runs', () => {
  test('the old policy (untagged after 7 days, then keep the 30 newest) expires the running digest', () => {
    const repo = new Repository({ policy: OLD_POLICY });
    const first = repo.push('c0', 'c0', 0);
    deploy(repo, 'prod', first, 0, { markers: false });
    const broken = simulate(
      repo,
      500,
      (day, at) => repo.push(`c${day}`, `c${day}`, at),
      () => [first],
    );
    assert.ok(broken, 'the model must find that the old policy loses the running image');
    // Its untagged rule takes the platform manifests of the running index after a week.
    assert.equal(broken.day, 7);
  });

  test('without its untagged rule the old policy still loses the running digest after 30 pushes', () => {
    const repo = new Repository({ policy: { rules: [{ ...OLD_POLICY.rules[1], rulePriority: 1 }] } });
    const first = repo.push('c0', 'c0', 0);
    deploy(repo, 'prod', first, 0, { markers: false });
    const broken = simulate(
      repo,
      500,
      (day, at) => repo.push(`c${day}`, `c${day}`, at),
      () => [first],
    );
    assert.ok(broken);
    // Thirty pushes of three manifests each: the running index falls out of the 30 newest images
    // long before 30 commits.
    assert.ok(broken.day <= 30, `expired on day ${broken.day}`);
  });

  test('the shipped policy plus an untagged rule would break the running multi-arch image', () => {
    const untagged = {
      rulePriority: 8,
      description: 'untagged',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
      action: { type: 'expire' },
    };
    const repo = new Repository({ policy: { rules: [...POLICY.rules, untagged] }, ...shippedMutability() });
    const first = repo.push('c0', 'git-c0', 0);
    deploy(repo, 'prod', first, 0);
    const broken = simulate(repo, 30, (day, at) => repo.push(`c${day}`, `git-c${day}`, at), running(repo));
    assert.deepEqual(broken, { day: 7, digest: first });
  });
});
