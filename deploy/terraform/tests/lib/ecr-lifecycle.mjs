// A model of Amazon ECR's lifecycle policy evaluation and of the repository it acts on, so
// that a test can replay months of pushes and deploys against the policy Terraform applies.
// AWS cannot run here; this follows the ECR user guide ("Lifecycle policy evaluation rules",
// "Lifecycle policy properties", and its worked examples, which the tests replay):
//
//   - all rules are evaluated against the same repository contents; they are then applied in
//     rulePriority order, lowest first;
//   - a rule selects images by tagStatus: "tagged" with tagPrefixList (every prefix matches
//     one of the image's tags) or tagPatternList (every pattern matches one of its tags, "*"
//     any run of characters, at most 4 per pattern), "untagged", or "any";
//   - imageCountMoreThan N: the selected images, newest push first, beyond the N-th are
//     candidates; sinceImagePushed N days: the selected images pushed more than N days ago;
//   - an image that a higher-priority rule selected cannot be expired by a lower-priority
//     rule, whether the higher rule expired it or kept it; the lower rule still counts it
//     ("can still identify them as if they haven't been expired");
//   - an image is expired by one rule at most.
//
// What it does not model: sinceImagePulled, sinceImageTransitioned, the archive storage class
// and transition actions (validate() rejects them); the up-to-24-hour delay before ECR acts
// (the simulation applies the policy at chosen moments); pull-through cache, replication and
// lifecycle policy previews. ECR lists each manifest of an image index as an image of its own,
// the platform manifests untagged; the ECR documentation does not say whether a lifecycle rule
// spares an untagged manifest that a kept index references, so the model assumes it does not:
// it is never kinder than ECR. It stores no layers: an image is a digest with tags, a push time
// and, for an index, the digests of its platform manifests.

const DAY_MS = 24 * 60 * 60 * 1000;
const TAG_STATUS = ['tagged', 'untagged', 'any'];
const COUNT_TYPES = ['imageCountMoreThan', 'sinceImagePushed'];
const NOT_MODELLED_COUNT_TYPES = ['sinceImagePulled', 'sinceImageTransitioned'];

// The documented constraints on a policy; a list of messages, empty when ECR would accept it.
export function validate(policy) {
  const errs = [];
  const rules = policy?.rules;
  if (!Array.isArray(rules) || rules.length === 0) return ['a policy needs a non-empty rules list'];
  const priorities = rules.map((r) => r.rulePriority);
  if (new Set(priorities).size !== priorities.length) errs.push('rulePriority values must be unique');
  const byPriority = [...rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const untagged = rules.filter((r) => r.selection?.tagStatus === 'untagged');
  if (untagged.length > 1) errs.push('only one rule may select untagged images');
  const any = byPriority.findIndex((r) => r.selection?.tagStatus === 'any');
  if (any >= 0 && any !== byPriority.length - 1)
    errs.push('a rule with tagStatus "any" must have the highest rulePriority');
  for (const r of rules) {
    const at = `rule ${r.rulePriority}`;
    const s = r.selection ?? {};
    if (!Number.isInteger(r.rulePriority) || r.rulePriority < 1)
      errs.push(`${at}: rulePriority must be a positive integer`);
    if (!TAG_STATUS.includes(s.tagStatus)) errs.push(`${at}: tagStatus must be tagged, untagged or any`);
    const hasPrefix = Array.isArray(s.tagPrefixList);
    const hasPattern = Array.isArray(s.tagPatternList);
    if (s.tagStatus === 'tagged' && hasPrefix === hasPattern)
      errs.push(`${at}: a tagged rule needs exactly one of tagPrefixList and tagPatternList`);
    if (s.tagStatus !== 'tagged' && (hasPrefix || hasPattern))
      errs.push(`${at}: only a tagged rule may list tags`);
    for (const list of [s.tagPrefixList, s.tagPatternList])
      if (list && (list.length === 0 || !list.every((t) => typeof t === 'string' && t.length > 0)))
        errs.push(`${at}: tag lists must hold non-empty strings`);
    for (const p of s.tagPatternList ?? [])
      if ((p.match(/\*/g) ?? []).length > 4) errs.push(`${at}: ${p} has more than 4 wildcards`);
    if (
      NOT_MODELLED_COUNT_TYPES.includes(s.countType) ||
      s.storageClass !== undefined ||
      r.action?.type === 'transition'
    ) {
      errs.push(`${at}: ${s.countType}, storage classes and transitions are not modelled`);
    } else if (!COUNT_TYPES.includes(s.countType))
      errs.push(`${at}: countType must be imageCountMoreThan or sinceImagePushed`);
    if (s.countType === 'sinceImagePushed' && s.countUnit !== 'days')
      errs.push(`${at}: sinceImagePushed needs countUnit "days"`);
    if (s.countType === 'imageCountMoreThan' && s.countUnit !== undefined)
      errs.push(`${at}: countUnit is only for sinceImagePushed`);
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1)
      errs.push(`${at}: countNumber must be a positive integer`);
    if (r.action?.type !== 'expire') errs.push(`${at}: the action must be expire`);
  }
  return errs;
}

function globToRegExp(pattern) {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function selects(selection, image) {
  const tags = [...image.tags];
  switch (selection.tagStatus) {
    case 'untagged':
      return tags.length === 0;
    case 'any':
      return true;
    case 'tagged':
      if (selection.tagPrefixList)
        return selection.tagPrefixList.every((prefix) => tags.some((t) => t.startsWith(prefix)));
      return selection.tagPatternList.every((pattern) => tags.some((t) => globToRegExp(pattern).test(t)));
    default:
      return false;
  }
}

// The digests a policy expires from `images` ([{ digest, tags, pushedAt }]) at time `now`
// (milliseconds), with the rule that expires each.
export function evaluate(policy, images, now) {
  const errs = validate(policy);
  if (errs.length) throw new Error(`ECR would reject this lifecycle policy: ${errs.join('; ')}`);
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const seenByHigher = new Set();
  const expired = new Map(); // digest -> rulePriority
  for (const rule of rules) {
    const s = rule.selection;
    // Newest push first; the order of equal push times is not documented, digest breaks ties.
    const selected = images
      .filter((img) => selects(s, img))
      .sort((a, b) => b.pushedAt - a.pushedAt || (a.digest < b.digest ? -1 : 1));
    const candidates =
      s.countType === 'imageCountMoreThan'
        ? selected.slice(s.countNumber)
        : selected.filter((img) => now - img.pushedAt > s.countNumber * DAY_MS);
    for (const img of candidates)
      if (!seenByHigher.has(img.digest) && !expired.has(img.digest))
        expired.set(img.digest, rule.rulePriority);
    for (const img of selected) seenByHigher.add(img.digest);
  }
  return expired;
}

// A repository: pushes of image indexes (each with one platform manifest per architecture),
// tags with ECR's mutability rules, and lifecycle runs that delete what the policy expires.
export class Repository {
  constructor({
    policy,
    mutability = 'IMMUTABLE',
    mutableTagPatterns = [],
    platforms = ['linux/amd64', 'linux/arm64'],
  }) {
    this.policy = policy;
    this.mutability = mutability;
    this.mutable = mutableTagPatterns.map(globToRegExp);
    this.platforms = platforms;
    this.images = new Map();
    this.deleted = new Map(); // digest -> rulePriority that expired it
  }

  // Pushes an index tagged `tag` at time `at`; returns its digest.
  push(name, tag, at) {
    const children = this.platforms.map((p) => `sha256:${name}-${p.replace('/', '-')}`);
    for (const digest of children)
      this.images.set(digest, { digest, tags: new Set(), pushedAt: at, parent: `sha256:${name}` });
    const digest = `sha256:${name}`;
    this.images.set(digest, { digest, tags: new Set(), pushedAt: at, children });
    this.tag(digest, tag);
    return digest;
  }

  tagIsMutable(tag) {
    if (this.mutability === 'MUTABLE') return true;
    if (this.mutability === 'IMMUTABLE_WITH_EXCLUSION') return this.mutable.some((re) => re.test(tag));
    return false;
  }

  // ECR's PutImage of an existing manifest under a new tag: an immutable tag that already
  // names another image is refused (ImageTagAlreadyExistsException); a mutable one moves.
  tag(digest, tag) {
    const image = this.images.get(digest);
    if (!image) throw new Error(`ImageNotFoundException: ${digest} is not in the repository`);
    for (const other of this.images.values()) {
      if (other !== image && other.tags.has(tag)) {
        if (!this.tagIsMutable(tag))
          throw new Error(`ImageTagAlreadyExistsException: ${tag} names ${other.digest}`);
        other.tags.delete(tag);
      }
    }
    image.tags.add(tag);
  }

  taggedWith(tag) {
    return [...this.images.values()].find((img) => img.tags.has(tag))?.digest;
  }

  applyLifecycle(now) {
    const expired = evaluate(this.policy, [...this.images.values()], now);
    for (const [digest, rule] of expired) {
      this.images.delete(digest);
      this.deleted.set(digest, rule);
    }
    return expired;
  }

  // Can a node pull this index for every platform?
  pullable(digest) {
    const image = this.images.get(digest);
    return Boolean(image) && image.children.every((c) => this.images.has(c));
  }
}

export const DAY = DAY_MS;

// Renders registry/lifecycle-policy.json.tftpl the way templatefile() does for the arguments
// given; refuses template directives, which this renderer does not implement.
export function renderTemplate(text, args) {
  if (text.includes('%{'))
    throw new Error('template directives (%{ ... }) are not supported by this renderer');
  return text.replace(/\$\{\s*([A-Za-z_][\w]*)\s*\}/g, (_, name) => {
    if (!(name in args))
      throw new Error(`the template uses \${${name}}, which the templatefile() call does not pass`);
    return String(args[name]);
  });
}
