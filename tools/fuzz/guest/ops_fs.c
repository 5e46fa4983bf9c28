/*
 * Structured file operations in the work directory (through WORK_FD, so a
 * random chdir or chroot does not move them): files f0-f3, directories d0
 * and d0/d1, symlinks l0 (to f0) and l1 (out of the root); pipes; descriptor
 * juggling; and /proc/self.
 */
#include "fuzz.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

static const char *const NAMES[] = {"f0", "f1", "f2", "f3", "d0", "d0/d1", "l0", "l1", "d0/f4", "new", "."};

void files_init(void) {
  static const char text[] = "tsv fuzz file\n";
  for (int i = 0; i < 4; i++) {
    long fd = sys6(SYS_openat, WORK_FD, (long)NAMES[i], O_RDWR | O_CREAT | O_TRUNC, 0644, 0, 0);
    if (fd < 0) continue;
    for (int k = 0; k <= i * 64; k++) sys6(SYS_write, fd, (long)text, sizeof text - 1, 0, 0, 0);
    remember_fd(fd);
  }
  sys6(SYS_mkdirat, WORK_FD, (long)"d0", 0755, 0, 0, 0);
  sys6(SYS_mkdirat, WORK_FD, (long)"d0/d1", 0755, 0, 0, 0);
  sys6(SYS_symlinkat, (long)"f0", WORK_FD, (long)"l0", 0, 0, 0);
  sys6(SYS_symlinkat, (long)"../../outside/canary.txt", WORK_FD, (long)"l1", 0, 0, 0);
}

static long open_flags(void) {
  static const long extra[] = {
    O_CREAT, O_TRUNC, O_APPEND, O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_EXCL, O_PATH, O_TMPFILE,
    O_SYNC, O_DIRECT, O_NOATIME, O_LARGEFILE, O_NOCTTY, 3 /* O_ACCMODE */,
  };
  long f = (long)below(3);
  for (int i = 0, n = (int)below(4); i < n; i++) f |= PICK(extra);
  return f;
}

/* A buffer the kernel may write into: a stack one, or the arena. */
#define BUF 4096
static char *buffer(char *stack) { return chance(50) ? stack : arena_ptr(BUF); }

/* pwrite then pread at the same offset must give the bytes back. */
static void roundtrip(void) {
  long fd = SC4(SYS_openat, WORK_FD, "f3", O_RDWR | O_CREAT, 0600);
  if (fd < 0) return;
  char out[64], in[64];
  for (int i = 0; i < 64; i++) out[i] = (char)rnd();
  long off = (long)below(1 << 16);
  if (SC4(SYS_pwrite64, fd, out, 64, off) == 64 && SC4(SYS_pread64, fd, in, 64, off) == 64 && memcmp(in, out, 64) != 0)
    check_failed("pread does not return what pwrite wrote");
  SC1(SYS_close, fd);
}

void op_file(void) {
  char stack[BUF];
  const char *name = PICK(NAMES), *other = PICK(NAMES);
  long fd = pool_fd();
  switch (below(15)) {
    case 0: remember_fd(SC4(SYS_openat, WORK_FD, name, open_flags(), 0644)); break;
    case 1: SC4(SYS_pwrite64, fd, buffer(stack), below(BUF), pool_offset()); break;
    case 2: SC3(SYS_read, fd, buffer(stack), below(BUF)); break;
    case 3: {
      struct iovec iov[4];
      for (int i = 0; i < 4; i++) iov[i] = (struct iovec){arena_ptr(256), below(512)};
      SC3(chance(50) ? SYS_readv : SYS_writev, fd, iov, 1 + below(4));
      break;
    }
    case 4: SC3(SYS_lseek, fd, pool_offset(), below(6)); break;
    case 5:
      if (chance(50)) SC2(SYS_ftruncate, fd, chance(80) ? (long)below(1 << 20) : pool_offset());
      else SC4(SYS_fallocate, fd, below(0x80), pool_offset(), pool_len());
      break;
    case 6: {
      long dir = SC4(SYS_openat, WORK_FD, chance(50) ? "." : "d0", O_RDONLY | O_DIRECTORY, 0);
      SC3(SYS_getdents64, dir >= 0 ? dir : fd, buffer(stack), chance(80) ? BUF : (long)below(64));
      if (dir >= 0) SC1(SYS_close, dir);
      break;
    }
    case 7:
      if (chance(50)) SC4(SYS_newfstatat, WORK_FD, name, stack, chance(50) ? 0 : AT_SYMLINK_NOFOLLOW);
      else SC5(SYS_statx, WORK_FD, name, below(0x2000), below(0x10000), buffer(stack));
      break;
    case 8: SC5(SYS_renameat2, WORK_FD, name, WORK_FD, other, below(8)); break;
    case 9:
      if (chance(50)) SC3(SYS_unlinkat, WORK_FD, name, chance(50) ? AT_REMOVEDIR : 0);
      else SC3(SYS_mkdirat, WORK_FD, name, 0755);
      break;
    case 10:
      switch (below(3)) {
        case 0: SC3(SYS_symlinkat, pool_path(), WORK_FD, name); break;
        case 1: SC5(SYS_linkat, WORK_FD, name, WORK_FD, other, chance(50) ? AT_SYMLINK_FOLLOW : 0); break;
        default: SC4(SYS_readlinkat, WORK_FD, name, buffer(stack), below(BUF)); break;
      }
      break;
    case 11: roundtrip(); break;
    case 12:
      if (chance(50)) SC6(SYS_copy_file_range, fd, 0, pool_fd(), 0, below(1 << 16), 0);
      else SC4(SYS_sendfile, pool_fd(), fd, 0, below(1 << 16));
      break;
    case 13:
      if (chance(50)) SC4(SYS_utimensat, WORK_FD, name, 0, 0);
      else SC2(SYS_fchmod, fd, below(010000));
      break;
    default: {
      struct flock fl = {.l_type = (short)below(4), .l_whence = (short)below(3), .l_start = (long)below(4096), .l_len = (long)below(4096)};
      static const long cmds[] = {F_SETLK, F_GETLK, F_OFD_SETLK, F_OFD_GETLK, F_SETLKW, F_OFD_SETLKW};
      if (chance(30)) SC2(SYS_flock, fd, below(16));
      else SC3(SYS_fcntl, fd, PICK(cmds), &fl);
      break;
    }
  }
}

/* Pipes are non-blocking: nothing here waits. Most are closed again, so descriptors do not run out. */
void op_pipe(void) {
  int p[2] = {-1, -1};
  static const long flags[] = {O_NONBLOCK, O_NONBLOCK | O_CLOEXEC, O_NONBLOCK | O_DIRECT};
  if (SC2(SYS_pipe2, p, PICK(flags)) < 0) return;
  char out[512], in[512];
  long n = 1 + (long)below(sizeof out);
  for (long i = 0; i < n; i++) out[i] = (char)rnd();
  switch (below(7)) {
    case 0:
      if (SC3(SYS_write, p[1], out, n) == n && (SC3(SYS_read, p[0], in, n) != n || memcmp(in, out, (size_t)n) != 0))
        check_failed("a pipe does not return what was written");
      break;
    case 1: /* fill until full */
      for (int i = 0; i < 40 && SC3(SYS_write, p[1], arena_ptr(4096), 4096) > 0; i++) {}
      SC3(SYS_read, p[0], in, sizeof in);
      break;
    case 2: SC6(SYS_splice, pool_fd(), 0, p[1], 0, below(1 << 16), below(16)); SC6(SYS_splice, p[0], 0, pool_fd(), 0, below(1 << 16), below(16)); break;
    case 3: {
      struct iovec iov = {arena_ptr(512), below(1024)};
      SC4(SYS_vmsplice, p[1], &iov, 1, below(16));
      SC4(SYS_tee, p[0], pool_fd(), below(4096), below(16));
      break;
    }
    case 4: SC3(SYS_fcntl, p[1], F_SETPIPE_SZ, chance(70) ? PAGE << below(8) : pool_int()); SC2(SYS_fcntl, p[0], F_GETPIPE_SZ); break;
    case 5: /* the reader is gone: EPIPE and SIGPIPE */
      SC1(SYS_close, p[0]);
      p[0] = -1;
      SC3(SYS_write, p[1], out, n);
      break;
    default: {
      struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
      struct timespec ts = {0, 0};
      SC3(SYS_write, p[1], out, n);
      if (chance(50)) SC3(SYS_poll, pf, 2, 0);
      else SC5(SYS_ppoll, pf, 2, &ts, 0, 8);
      break;
    }
  }
  if (chance(85)) {
    if (p[0] >= 0) SC1(SYS_close, p[0]);
    SC1(SYS_close, p[1]);
  } else {
    remember_fd(p[0]);
    remember_fd(p[1]);
  }
}

/* Descriptors below 64 are moved, duplicated and closed; the reserved ones (1000, 1001) are never targets. */
void op_dup(void) {
  long fd = pool_fd(), to = (long)below(64);
  switch (below(7)) {
    case 0: remember_fd(SC1(SYS_dup, fd)); break;
    case 1: remember_fd(SC2(SYS_dup2, fd, to)); break;
    case 2: remember_fd(SC3(SYS_dup3, fd, to, chance(70) ? O_CLOEXEC : pool_flags())); break;
    case 3: {
      static const long flags[] = {0, 4 /* CLOSE_RANGE_CLOEXEC */, 2 /* CLOSE_RANGE_UNSHARE */, 1, 8};
      SC3(SYS_close_range, to, to + (long)below(8), PICK(flags));
      break;
    }
    case 4: remember_fd(SC3(SYS_fcntl, fd, chance(50) ? F_DUPFD : F_DUPFD_CLOEXEC, below(1100))); break;
    case 5: {
      static const long fl[] = {O_NONBLOCK, O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME, 0, -1};
      SC3(SYS_fcntl, fd, F_SETOWN, chance(70) ? self_pid : pool_id());
      SC3(SYS_fcntl, fd, F_SETSIG, safe_signal());
      SC3(SYS_fcntl, fd, F_SETFL, PICK(fl) | PICK(fl));
      SC2(SYS_fcntl, fd, F_GETFL);
      break;
    }
    default:
      if (fd != OUT_FD && fd != WORK_FD) SC1(SYS_close, fd);
      break;
  }
}

/* /proc/self: read what it reports, follow its links, and write our own arena through /proc/self/mem. */
void op_proc(void) {
  static const char *const FILES[] = {
    "/proc/self/maps", "/proc/self/status", "/proc/self/stat", "/proc/self/statm", "/proc/self/cmdline",
    "/proc/self/environ", "/proc/self/auxv", "/proc/self/mounts", "/proc/self/limits", "/proc/self/fd",
    "/proc/self/task", "/proc/self/mem", "/proc/self/exe", "/proc/self/cwd", "/proc/self", "/proc/cpuinfo",
    "/proc/meminfo", "/proc/self/fdinfo/1000",
  };
  char buf[BUF];
  const char *path = PICK(FILES);
  if (chance(25)) {
    char link[64] = "/proc/self/fd/";
    long fd = fds[below(NFDS)], n = (long)strlen(link);
    char digits[12];
    int k = 0;
    do digits[k++] = (char)('0' + fd % 10); while ((fd /= 10) > 0);
    while (k) link[n++] = digits[--k];
    link[n] = 0;
    SC4(SYS_readlinkat, -100, link, buf, below(sizeof buf));
    return;
  }
  long fd = SC4(SYS_openat, -100, path, chance(80) ? O_RDONLY : O_RDWR, 0);
  if (fd < 0) return;
  if (strcmp(path, "/proc/self/mem") == 0) {
    const struct region *r = &regions[below(NREGIONS)];
    long at = (long)r->base + (r->len > 0 ? (long)below((unsigned long)r->len) : 0);
    SC4(chance(50) ? SYS_pread64 : SYS_pwrite64, fd, buf, below(256), at);
  } else {
    for (int i = 0; i < 3; i++) if (SC3(chance(70) ? SYS_read : SYS_getdents64, fd, buffer(buf), BUF) <= 0) break;
  }
  SC1(SYS_close, fd);
}
