// What each Node environment (the main thread, or one worker thread) holds
// through this addon: KVM, VM and vCPU descriptors and tick timers (guest
// memory is released by its buffer's finalizer, which teardown runs). Objects dropped without close() are released by the TypeScript
// layer's finalizers; those never run when a worker thread is terminated,
// so whatever the environment still holds when it is torn down is released
// here. A terminated worker must not keep a VM and its guest memory alive,
// nor leave a timer kicking a thread id the system may give to another.
#include "env-resources.h"

#include <unistd.h>

#include <set>

namespace kvmsys {
namespace {

struct EnvResources {
  std::set<int> fds;
  std::set<timer_t> timers;
};

// Runs once, when the environment is torn down (its thread is gone from JS).
void Release(napi_env, void* data, void*) {
  auto* r = static_cast<EnvResources*>(data);
  for (timer_t t : r->timers) timer_delete(t);
  for (int fd : r->fds) close(fd);
  delete r;
}

EnvResources* Of(Napi::Env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvResources*>(data);
}

}  // namespace

void InitEnvResources(Napi::Env env) {
  napi_set_instance_data(env, new EnvResources(), Release, nullptr);
}

void HoldFd(Napi::Env env, int fd) {
  if (fd >= 0) Of(env)->fds.insert(fd);
}

void ForgetFd(Napi::Env env, int fd) { Of(env)->fds.erase(fd); }

void HoldTimer(Napi::Env env, timer_t t) { Of(env)->timers.insert(t); }

void ForgetTimer(Napi::Env env, timer_t t) { Of(env)->timers.erase(t); }

}  // namespace kvmsys
