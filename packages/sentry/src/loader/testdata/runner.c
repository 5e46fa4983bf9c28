/* Test-only user-space exec: builds a process image from a manifest written by
 * the loader tests (their LoadPlan, initial stack, vvar page and vDSO) inside
 * this process and jumps to the entry point, as the kernel would.
 * Manifest lines:
 *   map <addr> <len> <prot> <file|-> <file offset> <bytes>   (hex, hex, dec, -, dec, dec)
 *   start <entry> <sp>                                        (hex, hex)
 * Regions are created with MAP_FIXED_NOREPLACE, so a clash with this
 * process's own mappings fails loudly instead of corrupting it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(120);
}

static void map_region(unsigned long addr, unsigned long len, int prot, const char *file, long off, long bytes)
{
	void *p = mmap((void *)addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)addr)
		die("mmap");
	if (file[0] != '-') {
		int fd = open(file, O_RDONLY);
		if (fd < 0)
			die(file);
		for (long done = 0; done < bytes;) {
			ssize_t n = pread(fd, (char *)p + done, bytes - done, off + done);
			if (n <= 0)
				die("pread");
			done += n;
		}
		close(fd);
	}
	if (mprotect(p, len, prot) != 0)
		die("mprotect");
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 121;
	FILE *m = fopen(argv[1], "r");
	if (!m)
		die(argv[1]);
	char kind[8], file[4096];
	unsigned long addr, len, entry = 0, sp = 0;
	int prot;
	long off, bytes;
	while (fscanf(m, "%7s", kind) == 1) {
		if (kind[0] == 'm' && fscanf(m, "%lx %lx %d %4095s %ld %ld", &addr, &len, &prot, file, &off, &bytes) == 6)
			map_region(addr, len, prot, file, off, bytes);
		else if (kind[0] == 's' && fscanf(m, "%lx %lx", &entry, &sp) == 2)
			break;
		else
			return 122;
	}
	if (!entry)
		return 123;
	fflush(NULL);
	/* Linux enters with RDX = 0 (no rtld_fini) and RBP = 0 (end of the frame chain). */
	__asm__ volatile("mov %%rdi, %%rsp\n\txor %%edx, %%edx\n\txor %%ebp, %%ebp\n\tjmp *%%rsi"
			 :
			 : "D"(sp), "S"(entry)
			 : "memory");
	__builtin_unreachable();
}
