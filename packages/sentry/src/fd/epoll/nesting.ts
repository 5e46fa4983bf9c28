// Epoll sets inside epoll sets: Linux allows chains of at most
// EP_MAX_NESTS + 1 sets (4 links) and no cycle; adding a set that would
// break either rule is ELOOP (ep_loop_check). Both walks are bounded:
// every existing chain already obeys the rule, and each set is visited
// once per check.
import { watchersOf } from './links.js';
import { EpollFile } from './epoll.js';

const EP_MAX_NESTS = 4;
const TOO_DEEP = EP_MAX_NESTS + 1;

/** How many links of sets lie below `ep` (0 when it holds no set); TOO_DEEP past the limit or on reaching `into`. */
function depthBelow(ep: EpollFile, into: EpollFile, depth: number, seen: Map<EpollFile, number>): number {
  const known = seen.get(ep);
  if (known !== undefined) return known;
  let result = 0;
  for (const item of ep.items()) {
    const inner = item.file;
    if (!(inner instanceof EpollFile)) continue;
    result = inner === into || depth > EP_MAX_NESTS ? TOO_DEEP : Math.max(result, depthBelow(inner, into, depth + 1, seen) + 1);
    if (result > EP_MAX_NESTS) break;
  }
  seen.set(ep, result);
  return result;
}

/** How many links of sets lie above `ep` (0 when no set holds it). */
function depthAbove(ep: EpollFile, seen: Map<EpollFile, number>): number {
  const known = seen.get(ep);
  if (known !== undefined) return known;
  let result = 0;
  for (const item of watchersOf(ep)) result = Math.max(result, depthAbove(item.epoll, seen) + 1);
  seen.set(ep, result);
  return result;
}

/** Would adding the set `target` to the set `into` make a cycle or too long a chain? */
export function wouldLoop(into: EpollFile, target: EpollFile): boolean {
  const below = depthBelow(target, into, 0, new Map());
  return below > EP_MAX_NESTS || below + 1 + depthAbove(into, new Map()) > EP_MAX_NESTS;
}
