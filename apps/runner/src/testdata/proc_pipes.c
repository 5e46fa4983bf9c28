/*
 * Pipes between parent and child: 1 MiB to a child that sums it and answers
 * on a second pipe; a child exec'ing busybox tr as a filter between two
 * pipes; and a two-child pipeline (seq | wc -l) built with dup2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void must(int ok, const char *what) {
  if (!ok) { perror(what); exit(1); }
}

static void sum_in_child(void) {
  int down[2], up[2];
  must(pipe(down) == 0 && pipe(up) == 0, "pipe");
  pid_t c = fork();
  if (c == 0) {
    close(down[1]), close(up[0]);
    unsigned long sum = 0, n = 0;
    unsigned char buf[4096];
    for (ssize_t r; (r = read(down[0], buf, sizeof buf)) > 0; n += r)
      for (ssize_t i = 0; i < r; i++) sum += buf[i];
    dprintf(up[1], "%lu bytes, sum %lu", n, sum);
    _exit(0);
  }
  close(down[0]), close(up[1]);
  static unsigned char block[1 << 20];
  for (size_t i = 0; i < sizeof block; i++) block[i] = (unsigned char)(i * 7);
  for (size_t off = 0; off < sizeof block;) {
    ssize_t w = write(down[1], block + off, sizeof block - off);
    must(w > 0, "write");
    off += w;
  }
  close(down[1]);
  char answer[64] = {0};
  must(read(up[0], answer, sizeof answer - 1) > 0, "read");
  printf("child read %s\n", answer);
  close(up[0]);
  waitpid(c, NULL, 0);
}

static void filter_through_tr(void) {
  int in[2], out[2];
  must(pipe(in) == 0 && pipe(out) == 0, "pipe");
  pid_t c = fork();
  if (c == 0) {
    dup2(in[0], 0), dup2(out[1], 1);
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    execl("/bin/busybox", "tr", "a-z", "A-Z", (char *)NULL);
    _exit(127);
  }
  close(in[0]), close(out[1]);
  const char *text = "shout this through a filter\n";
  must(write(in[1], text, strlen(text)) == (ssize_t)strlen(text), "write");
  close(in[1]);
  char buf[128] = {0};
  ssize_t n = 0;
  for (ssize_t r; (r = read(out[0], buf + n, sizeof buf - 1 - n)) > 0;) n += r;
  printf("tr gave: %s", buf);
  waitpid(c, NULL, 0);
}

static void two_child_pipeline(void) {
  int p[2];
  must(pipe(p) == 0, "pipe");
  fflush(stdout);
  pid_t a = fork();
  if (a == 0) {
    dup2(p[1], 1), close(p[0]), close(p[1]);
    execl("/bin/busybox", "seq", "1", "5000", (char *)NULL);
    _exit(127);
  }
  pid_t b = fork();
  if (b == 0) {
    dup2(p[0], 0), close(p[0]), close(p[1]);
    execl("/bin/busybox", "wc", "-l", (char *)NULL);
    _exit(127);
  }
  close(p[0]), close(p[1]);
  int sa, sb;
  waitpid(a, &sa, 0), waitpid(b, &sb, 0);
  printf("seq | wc -l: statuses %d %d\n", WEXITSTATUS(sa), WEXITSTATUS(sb));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sum_in_child();
  filter_through_tr();
  two_child_pipeline();
  return 0;
}
