/*
 * What each argument of a system call is, so a random call gets plausible
 * values often enough to get past the first check. One letter per argument:
 *
 *   f descriptor   d dirfd (AT_FDCWD or a descriptor)   p pointer   s path
 *   l length/count o offset   F flags (random bits)   i int   n small int
 *   a address (for the memory calls)   g signal   u pid/uid   x any kind
 *
 * Calls not listed (and the unused tail of a signature) get arguments of
 * random kinds. Numbers Linux added after glibc 2.36's headers are spelled
 * out.
 */
#include "fuzz.h"

static const char *const SIGNATURES[NR_MAX + 1] = {
  [SYS_read] = "fpl", [SYS_write] = "fpl", [SYS_open] = "sFi", [SYS_close] = "f", [SYS_stat] = "sp",
  [SYS_fstat] = "fp", [SYS_lstat] = "sp", [SYS_poll] = "pni", [SYS_lseek] = "fon", [SYS_mmap] = "alFFfo",
  [SYS_mprotect] = "alF", [SYS_munmap] = "al", [SYS_brk] = "a", [SYS_rt_sigaction] = "gppn",
  [SYS_rt_sigprocmask] = "nppn", [SYS_ioctl] = "fip", [SYS_pread64] = "fplo", [SYS_pwrite64] = "fplo",
  [SYS_readv] = "fpn", [SYS_writev] = "fpn", [SYS_access] = "si", [SYS_pipe] = "p", [SYS_select] = "npppp",
  [SYS_mremap] = "allFa", [SYS_msync] = "alF", [SYS_mincore] = "alp", [SYS_madvise] = "aln",
  [SYS_shmget] = "ilF", [SYS_shmat] = "iaF", [SYS_shmctl] = "inp", [SYS_dup] = "f", [SYS_dup2] = "ff",
  [SYS_nanosleep] = "pp", [SYS_getitimer] = "np", [SYS_alarm] = "n", [SYS_setitimer] = "npp",
  [SYS_sendfile] = "ffpl", [SYS_socket] = "nFn", [SYS_connect] = "fpl", [SYS_accept] = "fpp",
  [SYS_sendto] = "fplFpl", [SYS_recvfrom] = "fplFpp", [SYS_sendmsg] = "fpF", [SYS_recvmsg] = "fpF",
  [SYS_shutdown] = "fn", [SYS_bind] = "fpl", [SYS_listen] = "fi", [SYS_getsockname] = "fpp",
  [SYS_getpeername] = "fpp", [SYS_socketpair] = "nFnp", [SYS_setsockopt] = "fnnpl", [SYS_getsockopt] = "fnnpp",
  [SYS_wait4] = "upFp", [SYS_kill] = "ug", [SYS_uname] = "p", [SYS_semget] = "inF", [SYS_semop] = "ipn",
  [SYS_semctl] = "innp", [SYS_shmdt] = "a", [SYS_msgget] = "iF", [SYS_msgsnd] = "iplF", [SYS_msgrcv] = "iplnF",
  [SYS_msgctl] = "inp", [SYS_fcntl] = "fnx", [SYS_flock] = "fn", [SYS_fsync] = "f", [SYS_fdatasync] = "f",
  [SYS_truncate] = "so", [SYS_ftruncate] = "fo", [SYS_getdents] = "fpl", [SYS_getcwd] = "pl", [SYS_chdir] = "s",
  [SYS_fchdir] = "f", [SYS_rename] = "ss", [SYS_mkdir] = "si", [SYS_rmdir] = "s", [SYS_creat] = "si",
  [SYS_link] = "ss", [SYS_unlink] = "s", [SYS_symlink] = "ss", [SYS_readlink] = "spl", [SYS_chmod] = "si",
  [SYS_fchmod] = "fi", [SYS_chown] = "suu", [SYS_fchown] = "fuu", [SYS_lchown] = "suu", [SYS_umask] = "i",
  [SYS_gettimeofday] = "pp", [SYS_getrlimit] = "np", [SYS_getrusage] = "np", [SYS_sysinfo] = "p",
  [SYS_times] = "p", [SYS_syslog] = "npl", [SYS_setuid] = "u", [SYS_setgid] = "u", [SYS_setpgid] = "uu",
  [SYS_setreuid] = "uu", [SYS_setregid] = "uu", [SYS_getgroups] = "lp", [SYS_setgroups] = "lp",
  [SYS_setresuid] = "uuu", [SYS_getresuid] = "ppp", [SYS_setresgid] = "uuu", [SYS_getresgid] = "ppp",
  [SYS_getpgid] = "u", [SYS_setfsuid] = "u", [SYS_setfsgid] = "u", [SYS_getsid] = "u", [SYS_capget] = "pp",
  [SYS_capset] = "pp", [SYS_rt_sigpending] = "pn", [SYS_rt_sigtimedwait] = "pppn", [SYS_rt_sigqueueinfo] = "ugp",
  [SYS_sigaltstack] = "pp", [SYS_utime] = "sp", [SYS_mknod] = "sio", [SYS_personality] = "F", [SYS_ustat] = "op",
  [SYS_statfs] = "sp", [SYS_fstatfs] = "fp", [SYS_sysfs] = "nxp", [SYS_getpriority] = "nu",
  [SYS_setpriority] = "nui", [SYS_sched_setparam] = "up", [SYS_sched_getparam] = "up",
  [SYS_sched_setscheduler] = "unp", [SYS_sched_getscheduler] = "u", [SYS_sched_get_priority_max] = "n",
  [SYS_sched_get_priority_min] = "n", [SYS_sched_rr_get_interval] = "up", [SYS_mlock] = "al", [SYS_munlock] = "al",
  [SYS_mlockall] = "F", [SYS_modify_ldt] = "npl", [SYS_pivot_root] = "ss", [SYS_prctl] = "nxxxx",
  [SYS_arch_prctl] = "nx", [SYS_adjtimex] = "p", [SYS_setrlimit] = "np", [SYS_chroot] = "s", [SYS_acct] = "s",
  [SYS_settimeofday] = "pp", [SYS_mount] = "sssFp", [SYS_umount2] = "sF", [SYS_swapon] = "sF", [SYS_swapoff] = "s",
  [SYS_reboot] = "iinp", [SYS_sethostname] = "pl", [SYS_setdomainname] = "pl", [SYS_iopl] = "n",
  [SYS_ioperm] = "lln", [SYS_init_module] = "plp", [SYS_delete_module] = "sF", [SYS_quotactl] = "nsup",
  [SYS_readahead] = "fol", [SYS_setxattr] = "ssplF", [SYS_lsetxattr] = "ssplF", [SYS_fsetxattr] = "fsplF",
  [SYS_getxattr] = "sspl", [SYS_lgetxattr] = "sspl", [SYS_fgetxattr] = "fspl", [SYS_listxattr] = "spl",
  [SYS_llistxattr] = "spl", [SYS_flistxattr] = "fpl", [SYS_removexattr] = "ss", [SYS_lremovexattr] = "ss",
  [SYS_fremovexattr] = "fs", [SYS_tkill] = "ug", [SYS_time] = "p", [SYS_futex] = "pnippi",
  [SYS_sched_setaffinity] = "ulp", [SYS_sched_getaffinity] = "ulp", [SYS_io_setup] = "np", [SYS_io_destroy] = "x",
  [SYS_io_getevents] = "xllpp", [SYS_io_submit] = "xlp", [SYS_io_cancel] = "xpp", [SYS_epoll_create] = "n",
  [SYS_remap_file_pages] = "alnoF", [SYS_getdents64] = "fpl", [SYS_set_tid_address] = "p",
  [SYS_semtimedop] = "ipnp", [SYS_fadvise64] = "foln", [SYS_timer_create] = "npp", [SYS_timer_settime] = "iFpp",
  [SYS_timer_gettime] = "ip", [SYS_timer_getoverrun] = "i", [SYS_timer_delete] = "i", [SYS_clock_settime] = "np",
  [SYS_clock_gettime] = "np", [SYS_clock_getres] = "np", [SYS_clock_nanosleep] = "nFpp", [SYS_epoll_wait] = "fpli",
  [SYS_epoll_ctl] = "fnfp", [SYS_tgkill] = "uug", [SYS_utimes] = "sp", [SYS_mbind] = "alnplF",
  [SYS_set_mempolicy] = "npl", [SYS_get_mempolicy] = "pplaF", [SYS_mq_open] = "sFip", [SYS_mq_unlink] = "s",
  [SYS_mq_timedsend] = "fplnp", [SYS_mq_timedreceive] = "fplpp", [SYS_mq_notify] = "fp",
  [SYS_mq_getsetattr] = "fpp", [SYS_waitid] = "nupFp", [SYS_add_key] = "sspli", [SYS_request_key] = "sssi",
  [SYS_keyctl] = "nxxxx", [SYS_ioprio_set] = "nun", [SYS_ioprio_get] = "nu", [SYS_inotify_init] = "",
  [SYS_inotify_add_watch] = "fsF", [SYS_inotify_rm_watch] = "fi", [SYS_migrate_pages] = "ulpp",
  [SYS_openat] = "dsFi", [SYS_mkdirat] = "dsi", [SYS_mknodat] = "dsio", [SYS_fchownat] = "dsuuF",
  [SYS_futimesat] = "dsp", [SYS_newfstatat] = "dspF", [SYS_unlinkat] = "dsF", [SYS_renameat] = "dsds",
  [SYS_linkat] = "dsdsF", [SYS_symlinkat] = "sds", [SYS_readlinkat] = "dspl", [SYS_fchmodat] = "dsi",
  [SYS_faccessat] = "dsi", [SYS_pselect6] = "npppp", [SYS_ppoll] = "pnppn", [SYS_unshare] = "F",
  [SYS_set_robust_list] = "pl", [SYS_get_robust_list] = "upp", [SYS_splice] = "fpfplF", [SYS_tee] = "fflF",
  [SYS_sync_file_range] = "foon", [SYS_vmsplice] = "fpnF", [SYS_move_pages] = "ulpppF", [SYS_utimensat] = "dspF",
  [SYS_epoll_pwait] = "fplipn", [SYS_signalfd] = "fpn", [SYS_timerfd_create] = "nF", [SYS_eventfd] = "i",
  [SYS_fallocate] = "fnoo", [SYS_timerfd_settime] = "fFpp", [SYS_timerfd_gettime] = "fp", [SYS_accept4] = "fppF",
  [SYS_signalfd4] = "fpnF", [SYS_eventfd2] = "iF", [SYS_epoll_create1] = "F", [SYS_dup3] = "ffF",
  [SYS_pipe2] = "pF", [SYS_inotify_init1] = "F", [SYS_preadv] = "fpnoo", [SYS_pwritev] = "fpnoo",
  [SYS_rt_tgsigqueueinfo] = "uugp", [SYS_perf_event_open] = "puifF", [SYS_recvmmsg] = "fpnFp",
  [SYS_fanotify_init] = "FF", [SYS_fanotify_mark] = "fFFds", [SYS_prlimit64] = "unpp",
  [SYS_name_to_handle_at] = "dsppF", [SYS_open_by_handle_at] = "fpF", [SYS_clock_adjtime] = "np",
  [SYS_syncfs] = "f", [SYS_sendmmsg] = "fpnF", [SYS_setns] = "fF", [SYS_getcpu] = "ppp",
  [SYS_process_vm_readv] = "upnpnF", [SYS_kcmp] = "uunxx", [SYS_finit_module] = "fsF", [SYS_sched_setattr] = "upF",
  [SYS_sched_getattr] = "uplF", [SYS_renameat2] = "dsdsF", [SYS_getrandom] = "plF", [SYS_memfd_create] = "sF",
  [SYS_kexec_file_load] = "fflsF", [SYS_bpf] = "npl", [SYS_membarrier] = "nFn", [SYS_mlock2] = "alF",
  [SYS_copy_file_range] = "fpfplF", [SYS_preadv2] = "fpnooF", [SYS_pwritev2] = "fpnooF",
  [SYS_pkey_mprotect] = "alFi", [SYS_pkey_alloc] = "FF", [SYS_pkey_free] = "i", [SYS_statx] = "dsFFp",
  [SYS_io_pgetevents] = "xllppp", [SYS_rseq] = "plFn", [SYS_pidfd_send_signal] = "fgpF",
  [SYS_io_uring_setup] = "np", [SYS_io_uring_enter] = "fnnFpl", [SYS_io_uring_register] = "fnpn",
  [SYS_open_tree] = "dsF", [SYS_move_mount] = "dsdsF", [SYS_fsopen] = "sF", [SYS_fsconfig] = "fnssi",
  [SYS_fsmount] = "fFF", [SYS_fspick] = "dsF", [SYS_pidfd_open] = "uF", [SYS_close_range] = "ffF",
  [SYS_openat2] = "dspl", [SYS_pidfd_getfd] = "ffF", [SYS_faccessat2] = "dsiF", [SYS_process_madvise] = "fpnnF",
  [SYS_epoll_pwait2] = "fplppn", [SYS_mount_setattr] = "dsFpl", [SYS_quotactl_fd] = "fnup",
  [SYS_landlock_create_ruleset] = "plF", [SYS_landlock_add_rule] = "fnpF", [SYS_landlock_restrict_self] = "fF",
  [SYS_memfd_secret] = "F", [SYS_process_mrelease] = "fF", [SYS_futex_waitv] = "pnFpn",
  [SYS_set_mempolicy_home_node] = "allF",
  [451] = "fppF" /* cachestat */, [452] = "dsiF" /* fchmodat2 */, [453] = "alF" /* map_shadow_stack */,
  [454] = "pnnF" /* futex_wake */, [455] = "pnnFpn" /* futex_wait */, [456] = "pFnn" /* futex_requeue */,
  [457] = "pplF" /* statmount */, [458] = "pplF" /* listmount */, [459] = "nppF" /* lsm_get_self_attr */,
  [460] = "nplF" /* lsm_set_self_attr */, [461] = "ppF" /* lsm_list_modules */, [462] = "alF" /* mseal */,
};

const char *signature(long nr) {
  return nr >= 0 && nr <= NR_MAX ? SIGNATURES[nr] : NULL;
}

long arg_of_kind(char kind) {
  static const char any[] = "fdplosFinagu";
  if (kind == 'x' || kind == 0) kind = any[below(sizeof any - 1)];
  switch (kind) {
    case 'f': return pool_fd();
    case 'd': return chance(40) ? -100 /* AT_FDCWD */ : pool_fd();
    case 'p': return pool_ptr();
    case 's': return chance(90) ? pool_path() : pool_ptr();
    case 'l': return pool_len();
    case 'o': return pool_offset();
    case 'F': return pool_flags();
    case 'i': return pool_int();
    case 'n': return pool_small();
    case 'a': return pool_addr();
    case 'g': return pool_signal();
    case 'u': return pool_id();
    default: return (long)rnd();
  }
}
