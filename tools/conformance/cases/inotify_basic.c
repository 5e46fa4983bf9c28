/*
 * inotify for changes made by the program itself: init flags, add_watch
 * and rm_watch errors in Linux's order, the events of a watched directory
 * (IN_CREATE, IN_OPEN, IN_MODIFY from write and O_TRUNC, IN_CLOSE_WRITE,
 * IN_CLOSE_NOWRITE, IN_ATTRIB, IN_MOVED_FROM/TO with one cookie, IN_DELETE,
 * IN_ISDIR), those of a watched file (IN_MOVE_SELF, IN_DELETE_SELF then
 * IN_IGNORED), IN_ONLYDIR, IN_MASK_ADD, IN_MASK_CREATE, IN_ONESHOT,
 * coalescing of identical events, reads too small (EINVAL), nonblocking
 * EAGAIN, poll readiness, and /proc/self/fd.
 */
#include "tinotify.h"
#include "tproc.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/stat.h>

int main(void) {
  t_unbuffered();
  T("init1 bad flags", inotify_init1(1));
  int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  T("F_GETFD", fcntl(in, F_GETFD));
  T("F_GETFL", fcntl(in, F_GETFL));
  char path[64], target[128] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", in);
  T("readlink", readlink(path, target, sizeof target - 1));
  printf("link %s\n", target);
  char small[8];
  T("read empty", read(in, small, sizeof small));

  T("mkdir d", mkdir("d", 0755));
  t_put("d/f", "x");
  T("no event bits", inotify_add_watch(in, "d", 0));
  T("MASK_ADD|MASK_CREATE", inotify_add_watch(in, "d", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
  T("bad fd", inotify_add_watch(-1, "d", IN_MODIFY));
  T("not inotify", inotify_add_watch(1, "d", IN_MODIFY));
  T("EFAULT", inotify_add_watch(in, (char *)8, IN_MODIFY));
  T("ENOENT", inotify_add_watch(in, "nope", IN_MODIFY));
  T("empty path", inotify_add_watch(in, "", IN_MODIFY));
  T("ONLYDIR on a file", inotify_add_watch(in, "d/f", IN_MODIFY | IN_ONLYDIR));
  int wd = inotify_add_watch(in, "d", IN_ALL_EVENTS | IN_ONLYDIR);
  T("watch d", wd);
  T("same inode, same wd", inotify_add_watch(in, "./d/", IN_ALL_EVENTS) == wd);
  T("MASK_CREATE on a watched inode", inotify_add_watch(in, "d", IN_CREATE | IN_MASK_CREATE));
  int wf = inotify_add_watch(in, "d/f", IN_MODIFY | IN_ATTRIB);
  T("watch d/f", wf);
  T("rm bad wd", inotify_rm_watch(in, 99));
  T("rm bad fd", inotify_rm_watch(-1, wd));
  T("rm not inotify", inotify_rm_watch(1, wd));

  struct pollfd p = {in, POLLIN, 0};
  T("poll empty", poll(&p, 1, 0));
  int fd = open("d/g", O_CREAT | O_WRONLY, 0644);
  T("poll after create", poll(&p, 1, 0));
  printf("revents %#x\n", p.revents);
  write(fd, "a", 1);
  write(fd, "b", 1);
  write(fd, "c", 1);
  close(fd);
  drain("create, three writes, close", in);

  fd = open("d/f", O_WRONLY | O_TRUNC);
  close(fd);
  fd = open("d/f", O_RDONLY);
  read(fd, small, 1);
  close(fd);
  chmod("d/f", 0600);
  drain("O_TRUNC, read-only open, chmod (file watched too)", in);

  T("rename", rename("d/g", "d/h"));
  T("mkdir d/sub", mkdir("d/sub", 0755));
  T("rmdir d/sub", rmdir("d/sub"));
  T("symlink", symlink("f", "d/s"));
  T("unlink d/s", unlink("d/s"));
  drain("rename, mkdir, rmdir, symlink, unlink", in);

  T("truncate", truncate("d/h", 0));
  drain("truncate(2)", in);

  int wh = inotify_add_watch(in, "d/h", IN_ALL_EVENTS);
  T("watch d/h", wh);
  T("link", link("d/h", "d/h2"));
  T("unlink d/h2", unlink("d/h2"));
  T("unlink d/h", unlink("d/h"));
  drain("a watched file in the watched directory: link, unlink twice", in);

  /* The file's own watch: moves and its deletion. */
  T("rename file away", rename("d/f", "f2"));
  T("unlink it", unlink("f2"));
  drain("watched file moved out and unlinked", in);

  /* IN_MASK_ADD widens a mask; IN_ONESHOT fires once. */
  T("narrow d to CREATE", inotify_add_watch(in, "d", IN_CREATE));
  T("MASK_ADD DELETE", inotify_add_watch(in, "d", IN_DELETE | IN_MASK_ADD));
  t_put("d/k", "1");
  unlink("d/k");
  drain("CREATE and DELETE only", in);
  T("ONESHOT", inotify_add_watch(in, "d", IN_CREATE | IN_ONESHOT));
  t_put("d/o1", "1");
  t_put("d/o2", "1");
  drain("oneshot", in);
  T("rm the removed wd", inotify_rm_watch(in, wd));

  int w2 = inotify_add_watch(in, "d", IN_CREATE);
  REL("new wd after oneshot", w2 > wd);
  T("rm_watch", inotify_rm_watch(in, w2));
  drain("rm_watch", in);

  /* A read buffer too small for the first event. */
  int w3 = inotify_add_watch(in, "d", IN_CREATE);
  t_put("d/long-name-for-a-big-event", "1");
  T("read 16", read(in, small, 8));
  drain("after a short read", in);
  (void)w3;

  /* A blocking instance and its directory removed. */
  int b = inotify_init();
  T("F_GETFL blocking", fcntl(b, F_GETFL));
  T("mkdir e", mkdir("e", 0755));
  int we = inotify_add_watch(b, "e", IN_ALL_EVENTS);
  T("watch e", we);
  T("rmdir e", rmdir("e"));
  char buf[256];
  long n = read(b, buf, sizeof buf);
  printf("blocking read %ld\n", n);
  for (long at = 0; at < n;) {
    struct inotify_event *e = (struct inotify_event *)(buf + at);
    char m[256];
    mask_text(e->mask, m);
    printf("wd %d %s\n", e->wd, m);
    at += sizeof *e + e->len;
  }
  close(b);
  close(in);
  return 0;
}
