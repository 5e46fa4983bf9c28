// Shared declarations of the kvm_sys addon. Each .cc file registers its own
// functions on the exports object; addon.cc calls them in turn.
#pragma once
#include <napi.h>

namespace kvmsys {

// Functions return -errno on failure instead of throwing: the TypeScript layer
// knows which ioctl it issued and builds the error message (name, errno, hint).
void InitSyscalls(Napi::Env env, Napi::Object exports);
void InitConstants(Napi::Env env, Napi::Object exports);
void InitMemory(Napi::Env env, Napi::Object exports);
void InitKick(Napi::Env env, Napi::Object exports);
void InitHostFds(Napi::Env env, Napi::Object exports);

// A JS number or bigint as an unsigned 64-bit value (ioctl args, addresses).
uint64_t ToU64(const Napi::Value& v);

}  // namespace kvmsys
