// Rule evaluation with exact integers (PROTOCOL.md §10), mirroring
// voting/crypto/rules.py: count·den > num·base is decided in BigInt, so a
// product beyond 2^53 is still exact.

const MAX = 2n ** 53n;

/** A rule's candidates in order (§10.1): [contest, option or null]. */
export function candidates(manifest, rule) {
  if (rule.option !== null) return rule.contests.map((i) => [i, null]);
  return rule.contests.flatMap((i) => manifest.contests[i].options.map((_, j) => [i, j]));
}

/**
 * Per rule, one outcome per candidate (§10.2, §10.3), or null when an
 * outcome's base would not be a JSON integer (|n| > 2^53: a sum of counts
 * for the base "valid"), so that it can equal no published outcome.
 */
export function evaluate(manifest, counts, bases) {
  let representable = true;
  const out = manifest.rules.map((rule) => {
    const num = BigInt(rule.num);
    const den = BigInt(rule.den);
    const rows = candidates(manifest, rule).map(([i, j]) => {
      const option = j === null ? manifest.contests[i].options.indexOf(rule.option) : j;
      const count = BigInt(counts[i][option]);
      const base = rule.base === 'valid' ? counts[i].reduce((s, n) => s + BigInt(n), 0n)
        : BigInt(bases[rule.base]);
      const passed = rule.comparator === '>' ? count * den > num * base : count * den >= num * base;
      return { contest: i, option: j, count, base, passed };
    });
    applyQuota(rows, rule.quota);
    return rows.map((r) => {
      if (r.base > MAX) representable = false;
      return { contest: r.contest, option: r.option, count: Number(r.count),
        base: Number(r.base), status: r.status };
    });
  });
  return representable ? out : null;
}

/** Statuses; a tie across the quota's cut-off needs a run-off (§10.3). */
function applyQuota(rows, quota) {
  const passing = rows.filter((r) => r.passed);
  for (const r of rows) r.status = r.passed ? 'elected' : 'not_elected';
  if (quota === null || passing.length <= quota) return;
  const sorted = passing.map((r) => r.count).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const cutoff = sorted[quota - 1];
  const above = passing.filter((r) => r.count > cutoff).length;
  const atCutoff = passing.filter((r) => r.count === cutoff);
  for (const r of passing) if (r.count < cutoff) r.status = 'not_elected';
  if (above + atCutoff.length > quota) for (const r of atCutoff) r.status = 'runoff';
}
