/*
 * rename(2) refuses to move a directory beneath itself (EINVAL), also when
 * the destination is reached through a working directory or a directory fd
 * whose path has gone stale because an ancestor was renamed. Checked in the
 * case's own directory and in /dev/shm (tmpfs).
 */
#include "t.h"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

static void loop_in(const char *label, const char *top) {
  char a[PATH_MAX], c[PATH_MAX], cb[PATH_MAX], ab[PATH_MAX];
  snprintf(a, sizeof a, "%s/a", top);
  snprintf(ab, sizeof ab, "%s/a/b", top);
  snprintf(c, sizeof c, "%s/c", top);
  snprintf(cb, sizeof cb, "%s/c/b", top);
  printf("-- %s\n", label);
  TOK("mkdir a", mkdir(a, 0755));
  TOK("mkdir a/b", mkdir(ab, 0755));
  int dfd = open(ab, O_RDONLY | O_DIRECTORY);
  TOK("open a/b", dfd);
  TOK("chdir a/b", chdir(ab));
  /* The working directory and dfd now live at c/b, though they were reached as a/b. */
  TOK("rename a c", rename(a, c));
  T("rename c -> cwd/x", rename(c, "x"));
  T("rename c/b -> cwd/x", rename(cb, "x"));
  T("renameat c -> dfd/x", renameat(AT_FDCWD, c, dfd, "x"));
  T("rename c -> c/b/x", rename(c, "x"));
  TOK("mkdir cwd/y", mkdir("y", 0755));
  T("exchange c <-> cwd/y", SC(SYS_renameat2, AT_FDCWD, c, AT_FDCWD, "y", 2 /* RENAME_EXCHANGE */));
  T("exchange cwd/y <-> c", SC(SYS_renameat2, AT_FDCWD, "y", AT_FDCWD, c, 2));
  /* Not a loop: a new a/ moves under c/b. */
  TOK("mkdir a again", mkdir(a, 0755));
  TOK("rename a -> cwd/z", rename(a, "z"));
  struct stat st;
  char z[PATH_MAX];
  snprintf(z, sizeof z, "%s/z", cb);
  TOK("stat c/b/z", stat(z, &st));
  TOK("stat c/b/y", stat("y", &st));
  T("stat a", stat(a, &st));
  close(dfd);
}

int main(void) {
  char here[PATH_MAX], shm[PATH_MAX];
  if (!getcwd(here, sizeof here)) return 90;
  loop_in("working directory", here);
  if (chdir(here) != 0) return 91;
  snprintf(shm, sizeof shm, "/dev/shm/tsv-rename-loop-%d", (int)getpid());
  if (mkdir(shm, 0700) != 0) return 92;
  loop_in("/dev/shm", shm);
  if (chdir(here) != 0) return 93;
  /* Remove the /dev/shm tree (c/b/{y,z}, c/b, c, top). */
  const char *rm[] = {"c/b/z", "c/b/y", "c/b", "c", ""};
  for (int i = 0; i < 5; i++) {
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/%s", shm, rm[i]);
    rmdir(p);
  }
  return 0;
}
