/* Computes forever without a system call: only a kill or a timeout ends it. */
int main(void) {
  volatile unsigned long x = 0;
  for (;;) x++;
}
