/* Computes forever without system calls: only a kill or a timeout ends it. */
int main(void) {
  volatile unsigned long x = 0;
  for (;;) x++;
}
