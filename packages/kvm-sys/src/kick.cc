// Kicking a vCPU out of KVM_RUN, the way the KVM API documents it: a signal
// handler that sets kvm_run.immediate_exit. Whether the signal lands while
// the thread is in the guest (KVM_RUN returns EINTR) or just before it enters
// (immediate_exit makes the next KVM_RUN return EINTR at once), no kick is
// lost. The caller clears immediate_exit after it has seen the interrupt.
//
// A thread "binds" the kvm_run it is about to run; kick(tid) and the periodic
// tick (a POSIX timer aimed at that thread) both go through the handler.
#include "kick.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "addon.h"
#include "env-resources.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

namespace kvmsys {
namespace {

constexpr int kSlots = 64;

// A fixed table, not thread_local: the handler must be async-signal-safe,
// and TLS in a dlopen()ed addon may allocate on first touch.
struct Slot {
  std::atomic<pid_t> tid;
  std::atomic<uint8_t*> immediate_exit;
};
Slot slots[kSlots];

int Tid() { return static_cast<int>(syscall(SYS_gettid)); }

Slot* Find(pid_t tid) {
  for (auto& s : slots)
    if (s.tid.load(std::memory_order_acquire) == tid) return &s;
  return nullptr;
}

void OnKick(int, siginfo_t*, void*) {
  int saved = errno;
  Slot* s = Find(Tid());
  if (s != nullptr) {
    uint8_t* p = s->immediate_exit.load(std::memory_order_acquire);
    if (p != nullptr) __atomic_store_n(p, 1, __ATOMIC_SEQ_CST);
  }
  errno = saved;
}

bool InstallHandler() {
  struct sigaction sa = {};
  sa.sa_sigaction = OnKick;
  // SA_RESTART: a tick that lands while Node runs JavaScript must not make
  // its other system calls fail. KVM_RUN returns EINTR regardless.
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  return sigaction(KickSignal(), &sa, nullptr) == 0;
}

// bindThread(immediateExitAddress: bigint) -> tid or -errno. Called on the
// thread that will call run(); replaces an earlier binding of that thread.
Napi::Value BindThread(const Napi::CallbackInfo& info) {
  uint8_t* p = reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(ToU64(info[0])));
  pid_t tid = Tid();
  Slot* s = Find(tid);
  if (s == nullptr) s = Find(0);
  if (s == nullptr) return Napi::Number::New(info.Env(), -EBUSY);
  s->immediate_exit.store(p, std::memory_order_release);
  s->tid.store(tid, std::memory_order_release);
  return Napi::Number::New(info.Env(), tid);
}

// unbindThread(tid): the thread no longer runs a vCPU; signals to it are
// ignored from now on.
Napi::Value UnbindThread(const Napi::CallbackInfo& info) {
  pid_t tid = info[0].As<Napi::Number>().Int32Value();
  Slot* s = Find(tid);
  if (s != nullptr) {
    s->immediate_exit.store(nullptr, std::memory_order_release);
    s->tid.store(0, std::memory_order_release);
  }
  return info.Env().Undefined();
}

// kick(tid) -> 0 or -errno: from any thread, make that thread's KVM_RUN
// return (now, or at its next entry).
Napi::Value Kick(const Napi::CallbackInfo& info) {
  pid_t tid = info[0].As<Napi::Number>().Int32Value();
  Slot* s = Find(tid);
  if (s == nullptr) return Napi::Number::New(info.Env(), -ESRCH);
  uint8_t* p = s->immediate_exit.load(std::memory_order_acquire);
  if (p != nullptr) __atomic_store_n(p, 1, __ATOMIC_SEQ_CST);
  int r = static_cast<int>(syscall(SYS_tgkill, getpid(), tid, KickSignal()));
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

// tickStart(tid, periodNs) -> timer handle (>= 0) or -errno: a periodic kick.
Napi::Value TickStart(const Napi::CallbackInfo& info) {
  pid_t tid = info[0].As<Napi::Number>().Int32Value();
  int64_t period = static_cast<int64_t>(ToU64(info[1]));
  if (period <= 0) return Napi::Number::New(info.Env(), -EINVAL);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = KickSignal();
  sev.sigev_notify_thread_id = tid;
  timer_t t;
  if (timer_create(CLOCK_MONOTONIC, &sev, &t) < 0) return Napi::Number::New(info.Env(), -errno);
  struct itimerspec its = {};
  its.it_interval.tv_sec = period / 1000000000;
  its.it_interval.tv_nsec = period % 1000000000;
  its.it_value = its.it_interval;
  if (timer_settime(t, 0, &its, nullptr) < 0) {
    int e = errno;
    timer_delete(t);
    return Napi::Number::New(info.Env(), -e);
  }
  HoldTimer(info.Env(), t);
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<intptr_t>(t)));
}

Napi::Value TickStop(const Napi::CallbackInfo& info) {
  timer_t t = reinterpret_cast<timer_t>(static_cast<intptr_t>(info[0].As<Napi::Number>().Int64Value()));
  ForgetTimer(info.Env(), t);
  int r = timer_delete(t);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

Napi::Value Gettid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Tid()); }

}  // namespace

int KickSignal() { return SIGRTMIN + 6; }

void ForgetKickTargets(void* addr, size_t len) {
  uint8_t* lo = static_cast<uint8_t*>(addr);
  for (auto& s : slots) {
    uint8_t* p = s.immediate_exit.load(std::memory_order_acquire);
    if (p >= lo && p < lo + len) {
      s.immediate_exit.store(nullptr, std::memory_order_release);
      s.tid.store(0, std::memory_order_release);
    }
  }
}

void InitKick(Napi::Env env, Napi::Object exports) {
  static bool installed = InstallHandler();
  exports.Set("kickHandlerInstalled", Napi::Boolean::New(env, installed));
  exports.Set("bindThread", Napi::Function::New(env, BindThread, "bindThread"));
  exports.Set("unbindThread", Napi::Function::New(env, UnbindThread, "unbindThread"));
  exports.Set("kick", Napi::Function::New(env, Kick, "kick"));
  exports.Set("tickStart", Napi::Function::New(env, TickStart, "tickStart"));
  exports.Set("tickStop", Napi::Function::New(env, TickStop, "tickStop"));
  exports.Set("gettid", Napi::Function::New(env, Gettid, "gettid"));
}

}  // namespace kvmsys
