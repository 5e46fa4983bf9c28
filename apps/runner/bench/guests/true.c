/* The smallest static program: what fork_exec_wait execs. */
int main(void) { return 0; }
