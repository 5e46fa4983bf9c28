/*
 * inotify's IN_DELETE_SELF and IN_IGNORED come when the inode goes, which
 * is at its last unlink only if nothing has it open: a file unlinked while
 * open (or mapped), or a directory removed while open, sends them at the
 * last close (or munmap) instead, after IN_CLOSE_*. IN_ATTRIB and the
 * directory's IN_DELETE still come at the unlink.
 */
#include "tinotify.h"
#include "tproc.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(void) {
  t_unbuffered();
  int in = inotify_init1(IN_NONBLOCK);
  T("mkdir d", mkdir("d", 0755));
  T("watch d", inotify_add_watch(in, "d", IN_ALL_EVENTS & ~(IN_OPEN | IN_CLOSE | IN_ACCESS)));

  /* Unlinked while open through two descriptions, one dup'ed. */
  t_put("d/f", "x");
  int a = open("d/f", O_RDONLY);
  int b = open("d/f", O_RDWR);
  int b2 = dup(b);
  T("watch d/f", inotify_add_watch(in, "d/f", IN_ALL_EVENTS));
  drain("opened", in);
  T("unlink d/f", unlink("d/f"));
  drain("unlinked while open", in);
  T("close a", close(a));
  drain("one description closed", in);
  T("close b", close(b));
  drain("one descriptor of the other closed", in);
  T("close b2", close(b2));
  drain("the last closed", in);

  /* Nothing open: at the unlink. */
  t_put("d/g", "x");
  T("watch d/g", inotify_add_watch(in, "d/g", IN_DELETE_SELF));
  T("unlink d/g", unlink("d/g"));
  drain("unlinked, not open", in);

  /* Two names: unlinking one is not the end, even when nothing is open. */
  t_put("d/h", "x");
  T("link", link("d/h", "d/h2"));
  int h = open("d/h", O_RDONLY);
  T("watch d/h", inotify_add_watch(in, "d/h", IN_DELETE_SELF | IN_ATTRIB));
  T("unlink d/h", unlink("d/h"));
  T("close h", close(h));
  drain("one of two names unlinked, then closed", in);
  T("unlink d/h2", unlink("d/h2"));
  drain("the other", in);

  /* A shared mapping keeps the file until munmap, its descriptor closed. */
  t_put("d/m", "mapped");
  int m = open("d/m", O_RDWR);
  char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
  REL("mmap", p != MAP_FAILED);
  T("close m", close(m));
  T("watch d/m", inotify_add_watch(in, "d/m", IN_DELETE_SELF | IN_CLOSE));
  T("unlink d/m", unlink("d/m"));
  drain("unlinked while mapped, its descriptor closed", in);
  printf("still mapped: %.6s\n", p);
  T("munmap", munmap(p, 4096));
  drain("unmapped", in);

  /* A directory removed while open. */
  T("mkdir d/e", mkdir("d/e", 0755));
  int e = open("d/e", O_RDONLY | O_DIRECTORY);
  T("watch d/e", inotify_add_watch(in, "d/e", IN_DELETE_SELF | IN_CLOSE));
  T("rmdir d/e", rmdir("d/e"));
  drain("directory removed while open", in);
  T("close e", close(e));
  drain("closed", in);

  /* Unlinked while open by a child, which then exits. */
  t_put("d/c", "x");
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return 1;
  pid_t c = t_fork();
  if (c == 0) {
    int cf = open("d/c", O_RDONLY);
    char x;
    write(ready[1], "o", 1);
    read(go[0], &x, 1);
    _exit(cf >= 0 ? 0 : 1);
  }
  char x;
  read(ready[0], &x, 1);
  T("watch d/c", inotify_add_watch(in, "d/c", IN_DELETE_SELF));
  T("unlink d/c", unlink("d/c"));
  drain("unlinked while a child has it open", in);
  write(go[1], "g", 1);
  t_reap("child", c);
  drain("the child exited", in);
  return 0;
}
