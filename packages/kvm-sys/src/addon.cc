// File descriptors and ioctls. The TypeScript layer packs every KVM struct
// into a Uint8Array and passes it here unchanged: this file only makes the
// system calls, so it stays small and the struct layouts live in one place
// (lib/structs.ts, checked against sizes exported by constants.cc).
#include "addon.h"
#include "env-resources.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define KVM_RUN_REQUEST KVM_RUN

namespace kvmsys {

uint64_t ToU64(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

namespace {

// Every call but KVM_RUN is retried when a host signal interrupts it: a
// profiler's SIGPROF or an embedding application's signals must not turn
// KVM_CREATE_VM or KVM_SET_REGS into a failure. These ioctls have no effect
// when they return EINTR. KVM_RUN is not retried: EINTR is how a kick ends it.
template <typename Call>
int RetryEintr(Call call) {
  int r;
  do r = call();
  while (r < 0 && errno == EINTR);
  return r;
}

// open(path) -> fd or -errno. Always O_RDWR | O_CLOEXEC: these descriptors
// must never leak into a child process the host spawns.
Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = RetryEintr([&] { return open(path.c_str(), O_RDWR | O_CLOEXEC); });
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  HoldFd(info.Env(), fd);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  ForgetFd(info.Env(), fd);
  int r = close(fd);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

// ioctl(fd, request, arg) with an integer argument (KVM_CREATE_VM,
// KVM_CHECK_EXTENSION, KVM_SET_TSS_ADDR, ...). Returns the result or -errno;
// the descriptor KVM_CREATE_VM or KVM_CREATE_VCPU makes is the environment's.
Napi::Value IoctlInt(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  unsigned long req = static_cast<unsigned long>(ToU64(info[1]));
  unsigned long arg = info.Length() > 2 ? static_cast<unsigned long>(ToU64(info[2])) : 0;
  int r = RetryEintr([&] { return ioctl(fd, req, arg); });
  if (r < 0) return Napi::Number::New(info.Env(), -errno);
  if (req == KVM_CREATE_VM || req == KVM_CREATE_VCPU) HoldFd(info.Env(), r);
  return Napi::Number::New(info.Env(), r);
}

// ioctl(fd, request, bytes): the struct is the Uint8Array's memory, read
// and written in place, so results need no copy back.
Napi::Value IoctlBuf(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  unsigned long req = static_cast<unsigned long>(ToU64(info[1]));
  Napi::Uint8Array buf = info[2].As<Napi::Uint8Array>();
  int r = RetryEintr([&] { return ioctl(fd, req, buf.Data()); });
  return Napi::Number::New(info.Env(), r < 0 ? -errno : r);
}

// The hot path: KVM_RUN on a vCPU fd. No allocation (a small integer is a
// Smi in V8); returns 0 or -errno. The exit reason is read by the caller
// from the mapped kvm_run, which it already holds.
Napi::Value Run(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int r = ioctl(fd, KVM_RUN_REQUEST, 0);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : r);
}

}  // namespace

void InitSyscalls(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("ioctlInt", Napi::Function::New(env, IoctlInt, "ioctlInt"));
  exports.Set("ioctlBuf", Napi::Function::New(env, IoctlBuf, "ioctlBuf"));
  exports.Set("run", Napi::Function::New(env, Run, "run"));
}

}  // namespace kvmsys

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  kvmsys::InitEnvResources(env);
  kvmsys::InitSyscalls(env, exports);
  kvmsys::InitConstants(env, exports);
  kvmsys::InitMemory(env, exports);
  kvmsys::InitKick(env, exports);
  kvmsys::InitHostFds(env, exports);
  return exports;
}

NODE_API_MODULE(kvm_sys, Init)
