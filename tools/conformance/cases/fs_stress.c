/* Many files: create, write, list, stat, rename and remove a few thousand
 * entries; checks the vfs keeps every name and byte. */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>

#define N 1500

int main(void) {
  char name[64], name2[64], buf[64];
  SC(SYS_mkdir, "many", 0755);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "many/f%04d", i);
    int fd = SC(SYS_open, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd != 3) bad++;
    int n = snprintf(buf, sizeof buf, "content %d", i);
    if (SC(SYS_write, fd, buf, n) != n) bad++;
    SC(SYS_close, fd);
  }
  printf("create failures: %d\n", bad);
  int d = SC(SYS_open, "many", O_RDONLY | O_DIRECTORY);
  long entries = 0, r;
  char dents[4096];
  while ((r = SC(SYS_getdents64, d, dents, sizeof dents)) > 0)
    for (long off = 0; off < r; off += *(unsigned short *)(dents + off + 16)) entries++;
  printf("entries incl . and ..: %ld\n", entries);
  bad = 0;
  for (int i = 0; i < N; i += 3) {
    snprintf(name, sizeof name, "many/f%04d", i);
    snprintf(name2, sizeof name2, "many/r%04d", i);
    if (SC(SYS_rename, name, name2) != 0) bad++;
  }
  printf("rename failures: %d\n", bad);
  bad = 0;
  struct stat st;
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, i % 3 ? "many/f%04d" : "many/r%04d", i);
    int expect = snprintf(buf, sizeof buf, "content %d", i);
    if (SC(SYS_stat, name, &st) != 0 || st.st_size != expect) bad++;
  }
  printf("stat mismatches: %d\n", bad);
  bad = 0;
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, i % 3 ? "many/f%04d" : "many/r%04d", i);
    if (SC(SYS_unlink, name) != 0) bad++;
  }
  printf("unlink failures: %d\n", bad);
  T("rmdir now empty", SC(SYS_rmdir, "many"));
  return 0;
}
