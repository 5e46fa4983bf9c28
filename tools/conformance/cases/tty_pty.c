/* Pseudo-terminals opened by the program itself: posix_openpt, grantpt,
 * unlockpt, ptsname; the lock; termios round trip; the line discipline
 * (canonical reads, erase and kill with their echo, EOF, ICRNL, ONLCR, raw
 * reads with VMIN/VTIME); a controlling terminal acquired by a session
 * leader's open, /dev/tty, the foreground group, ^C as SIGINT, a window
 * size change as SIGWINCH, job control from a background group; hangups
 * on either side. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

static int m, s;
static char path[64];

/* Prints bytes with control characters escaped. */
static void show(const char *label, const char *b, long n) {
  printf("%s: %ld \"", label, n);
  for (long i = 0; i < n; i++) {
    unsigned char c = b[i];
    if (c == '\n') printf("\\n");
    else if (c == '\r') printf("\\r");
    else if (c < 32 || c == 127) printf("\\x%02x", c);
    else putchar(c);
  }
  printf("\"\n");
}

static void type(const char *text) { write(m, text, strlen(text)); }

static void slave_read(const char *label, int len) {
  char b[256];
  long n = read(s, b, len);
  if (n < 0) printf("%s: -1 %s\n", label, ename(errno));
  else show(label, b, n);
}

/*
 * Reads what the master shows until `want` bytes came: Linux moves bytes
 * between a pty's sides in a worker, so one read may see part of them.
 */
static void master_read(const char *label, int want) {
  char b[256];
  long n = 0;
  while (n < want) {
    struct pollfd p = {m, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) break;
    long r = read(m, b + n, sizeof b - n);
    if (r <= 0) break;
    n += r;
  }
  show(label, b, n);
}

static void setup(void) {
  m = posix_openpt(O_RDWR | O_NOCTTY);
  TOK("posix_openpt", m);
  T("grantpt", grantpt(m));
  int lock = -1;
  T("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &lock));
  T("locked", lock);
  strcpy(path, ptsname(m));
  REL("ptsname is /dev/pts/N", strncmp(path, "/dev/pts/", 9) == 0);
  T("open slave while locked", open(path, O_RDWR | O_NOCTTY));
  T("unlockpt", unlockpt(m));
  s = open(path, O_RDWR | O_NOCTTY);
  TOK("open slave", s);
  T("isatty slave", isatty(s));
  T("isatty master", isatty(m));
  int n = -1;
  T("TIOCGPTN", ioctl(m, TIOCGPTN, &n));
  REL("TIOCGPTN matches the name", n == atoi(path + 9));
  char *name = ttyname(s);
  REL("ttyname is ptsname", name != NULL && strcmp(name, path) == 0);
  struct stat st;
  fstat(s, &st);
  REL("slave is a char device", S_ISCHR(st.st_mode));
  T("TIOCGPGRP of a slave that is nobody's", ioctl(s, TIOCGPGRP, &n));
  T("TIOCGSID of the master", ioctl(m, TIOCGSID, &n));
  T("TIOCSPTLCK on the slave", ioctl(s, TIOCSPTLCK, &n));
}

static void termios_round_trip(void) {
  struct termios t, u;
  T("tcgetattr", tcgetattr(s, &t));
  printf("iflag %o oflag %o cflag %o lflag %o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
  printf("cc:");
  for (int i = 0; i < 17; i++) printf(" %d", t.c_cc[i]);
  printf("\n");
  u = t;
  u.c_lflag &= ~(ECHO | ICANON);
  u.c_cc[VMIN] = 3;
  u.c_cc[VTIME] = 7;
  T("tcsetattr", tcsetattr(s, TCSANOW, &u));
  struct termios v;
  T("tcgetattr of the master", tcgetattr(m, &v));
  REL("the master shows the slave's settings", v.c_lflag == u.c_lflag && v.c_cc[VMIN] == 3 && v.c_cc[VTIME] == 7);
  T("tcsetattr back", tcsetattr(s, TCSAFLUSH, &t));
  T("tcgetattr bad pointer", ioctl(s, TCGETS, (void *)8));
}

static void canonical(void) {
  type("ab\x7f" "c\n");
  slave_read("erase", 100);
  master_read("erase echo", 8);
  type("junk\x15ok\n");
  slave_read("kill", 100);
  master_read("kill echo", 20);
  type("one\ntwo\n");
  slave_read("first line only", 100);
  slave_read("part of a line", 2);
  slave_read("rest of the line", 100);
  master_read("echo of two lines", 10);
  type("xy\x04");
  slave_read("EOF ends a line", 100);
  type("\x04");
  slave_read("EOF at a line's start", 100);
  master_read("EOF is not echoed", 2);
  type("cr\r");
  slave_read("ICRNL", 100);
  master_read("echo of CR", 4);
  type("abc\nde");
  slave_read("line before a partial one", 100);
  master_read("echo", 7);
  write(s, "out\n", 4);
  master_read("ONLCR", 5);
  type("\x15");
  master_read("kill echo", 6);
}

static void raw(void) {
  struct termios t, r;
  tcgetattr(s, &t);
  r = t;
  cfmakeraw(&r);
  r.c_cc[VMIN] = 0;
  r.c_cc[VTIME] = 0;
  tcsetattr(s, TCSANOW, &r);
  slave_read("raw MIN 0 TIME 0, nothing typed", 10);
  r.c_cc[VTIME] = 1;
  tcsetattr(s, TCSANOW, &r);
  slave_read("raw MIN 0 TIME 1 times out", 10);
  r.c_cc[VMIN] = 2;
  r.c_cc[VTIME] = 0;
  tcsetattr(s, TCSANOW, &r);
  type("q\r");
  slave_read("raw MIN 2, bytes as typed", 10);
  write(s, "a\nb", 3);
  master_read("raw output", 3);
  fcntl(s, F_SETFL, O_NONBLOCK);
  slave_read("nonblocking, nothing typed", 10);
  fcntl(s, F_SETFL, 0);
  tcsetattr(s, TCSANOW, &t);
}

static volatile sig_atomic_t winch, intr;
static void on_winch(int sig) { (void)sig; winch++; }
static void on_int(int sig) { (void)sig; intr++; }

/* The child: a session leader whose open of the slave makes it its controlling terminal. */
static void session_child(int ready) {
  setsid();
  T("child: /dev/tty without a controlling terminal", open("/dev/tty", O_RDWR));
  int fd = open(path, O_RDWR);
  TOK("child: open slave", fd);
  int tty = open("/dev/tty", O_RDWR);
  TOK("child: /dev/tty", tty);
  REL("child: foreground group is its own", tcgetpgrp(tty) == getpgrp());
  int sid = -1;
  ioctl(fd, TIOCGSID, &sid);
  REL("child: TIOCGSID is its session", sid == getsid(0));
  T("child: TIOCSCTTY again", ioctl(fd, TIOCSCTTY, 0));
  signal(SIGWINCH, on_winch);
  signal(SIGINT, on_int);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGWINCH);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old);
  write(ready, "r", 1);
  while (!winch || !intr) sigsuspend(&old);
  struct winsize w;
  ioctl(tty, TIOCGWINSZ, &w);
  printf("child: SIGWINCH, now %d rows %d cols; SIGINT from ^C\n", w.ws_row, w.ws_col);

  /* A background group: reading with SIGTTIN ignored is EIO; taking the foreground with SIGTTOU ignored works. */
  fflush(stdout);
  pid_t bg = fork();
  if (bg == 0) {
    setpgid(0, 0);
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    char c;
    T("background: read", read(tty, &c, 1));
    T("background: tcsetpgrp to itself", tcsetpgrp(tty, getpgrp()));
    REL("background: now in the foreground", tcgetpgrp(tty) == getpgrp());
    T("background: tcsetpgrp to a missing group", tcsetpgrp(tty, 999999));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(bg, &st, 0);
  T("child: tcsetpgrp back, SIGTTOU ignored", (signal(SIGTTOU, SIG_IGN), tcsetpgrp(tty, getpgrp())));
  signal(SIGHUP, SIG_IGN); /* giving it up sends SIGHUP to the foreground group: this one */
  T("child: TIOCNOTTY", ioctl(tty, TIOCNOTTY));
  T("child: /dev/tty after TIOCNOTTY", open("/dev/tty", O_RDWR));
  fflush(stdout);
  _exit(0);
}

static void controlling_terminal(void) {
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    session_child(p[1]);
  }
  close(p[1]);
  char b;
  read(p[0], &b, 1);
  struct winsize w = {.ws_row = 30, .ws_col = 100};
  T("TIOCSWINSZ on the master", ioctl(m, TIOCSWINSZ, &w));
  type("\x03");
  int st;
  waitpid(c, &st, 0);
  T("child exit status", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  master_read("echo of ^C", 2);
  struct winsize x;
  ioctl(s, TIOCGWINSZ, &x);
  printf("slave size %d rows %d cols\n", x.ws_row, x.ws_col);
}

static void hangups(void) {
  struct pollfd pf = {m, POLLIN | POLLOUT, 0};
  close(s);
  poll(&pf, 1, 0);
  printf("master poll after the slave closed: %s%s%s\n", pf.revents & POLLIN ? "IN " : "", pf.revents & POLLOUT ? "OUT " : "",
         pf.revents & POLLHUP ? "HUP" : "");
  char b[8];
  T("master read after the slave closed", read(m, b, 8));
  s = open(path, O_RDWR | O_NOCTTY);
  TOK("slave opened again", s);
  close(m);
  struct pollfd ps = {s, POLLIN | POLLOUT, 0};
  poll(&ps, 1, 0);
  printf("slave poll after the master closed: %s%s%s%s\n", ps.revents & POLLIN ? "IN " : "", ps.revents & POLLOUT ? "OUT " : "",
         ps.revents & POLLERR ? "ERR " : "", ps.revents & POLLHUP ? "HUP" : "");
  T("slave read after hangup", read(s, b, 8));
  T("slave write after hangup", write(s, "x", 1));
  T("open the gone slave", open(path, O_RDWR | O_NOCTTY));
}

int main(void) {
  setup();
  termios_round_trip();
  canonical();
  raw();
  controlling_terminal();
  hangups();
  return 0;
}
