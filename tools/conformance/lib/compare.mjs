// Compares two runs of the same program and explains the first difference.

function firstDiff(name, a, b) {
  if (a.equals(b)) return null;
  const la = a.toString('latin1').split('\n');
  const lb = b.toString('latin1').split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      const show = (s) => (s === undefined ? '<eof>' : JSON.stringify(s.length > 70 ? `${s.slice(0, 70)}…` : s));
      return `${name} line ${i + 1}: ${show(la[i])} vs ${show(lb[i])}`;
    }
  }
  return `${name} differs`;
}

/** null when both runs are equal, else a one-line reason ("left" vs "right"). */
export function diffRuns(left, right) {
  if (left.status !== right.status) return `status ${left.status} vs ${right.status}`;
  return firstDiff('stdout', left.stdout, right.stdout) ?? firstDiff('stderr', left.stderr, right.stderr);
}
