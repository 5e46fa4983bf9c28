/*
 * Helpers for the inotify_* cases: drain(label, fd) prints every queued
 * event by name, with cookies as 0, 'same' or 'other' relative to the
 * first nonzero one (never their values).
 */
#ifndef TSV_CONFORMANCE_TINOTIFY_H
#define TSV_CONFORMANCE_TINOTIFY_H
#include "t.h"
#include <stdint.h>
#include <sys/inotify.h>

static T_UNUSED const char *names[] = {"ACCESS", "MODIFY", "ATTRIB", "CLOSE_WRITE", "CLOSE_NOWRITE", "OPEN", "MOVED_FROM", "MOVED_TO",
                              "CREATE", "DELETE", "DELETE_SELF", "MOVE_SELF", "?", "UNMOUNT", "Q_OVERFLOW", "IGNORED"};

static T_UNUSED void mask_text(uint32_t m, char *out) {
  out[0] = 0;
  for (int i = 0; i < 16; i++)
    if (m & (1u << i)) {
      strcat(out, names[i]);
      strcat(out, "|");
    }
  if (m & IN_ISDIR) strcat(out, "ISDIR|");
  size_t n = strlen(out);
  if (n > 0) out[n - 1] = 0;
}

static T_UNUSED uint32_t cookie0;

/* Reads and prints every queued event (cookies as 0, 'same' or 'other' relative to the first nonzero one). */
static T_UNUSED void drain(const char *label, int fd) {
  char buf[4096] __attribute__((aligned(8)));
  printf("-- %s\n", label);
  for (;;) {
    errno = 0;
    long n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno != EAGAIN) t_value("read", n, errno);
      return;
    }
    for (long at = 0; at < n;) {
      struct inotify_event *e = (struct inotify_event *)(buf + at);
      char m[256];
      mask_text(e->mask, m);
      const char *c = "0";
      if (e->cookie != 0) {
        if (cookie0 == 0) cookie0 = e->cookie;
        c = e->cookie == cookie0 ? "same" : "other";
      }
      printf("wd %d %s cookie %s len %u name '%s'\n", e->wd, m, c, e->len, e->len ? e->name : "");
      at += sizeof *e + e->len;
    }
  }
}

#endif
