/* The smallest program that shows it ran: one line on stdout. */
#include <stdio.h>
int main(void) {
  puts("hello");
  return 0;
}
