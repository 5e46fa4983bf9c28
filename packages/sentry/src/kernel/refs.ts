// Users of objects threads may share (a memory manager, a descriptor
// table): clone takes a user with addUser, exit and exec drop theirs, and
// the last one to go frees the object. An object nobody added a user to
// has its creator as its one user.
const users = new WeakMap<object, number>();

export function addUser(o: object): void {
  users.set(o, (users.get(o) ?? 1) + 1);
}

/** Drops one user; true when it was the last (the caller frees `o`). */
export function dropUser(o: object): boolean {
  const n = (users.get(o) ?? 1) - 1;
  if (n > 0) users.set(o, n);
  else users.delete(o);
  return n <= 0;
}

/** How many users `o` has. */
export function userCount(o: object): number {
  return users.get(o) ?? 1;
}
