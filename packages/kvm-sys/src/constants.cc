// Exposes the ABI tables of abi.c to JavaScript, so the TypeScript side never
// hard-codes an ioctl request, a struct size or a kvm_run offset.
#include "abi.h"
#include "addon.h"
#include "kick.h"

namespace kvmsys {
namespace {

Napi::Object Table(Napi::Env env, const abi_entry* t) {
  Napi::Object o = Napi::Object::New(env);
  for (; t->name != nullptr; t++) o.Set(t->name, Napi::Number::New(env, t->value));
  return o;
}

}  // namespace

void InitConstants(Napi::Env env, Napi::Object exports) {
  exports.Set("ioctls", Table(env, kvm_abi_ioctls));
  exports.Set("runOffsets", Table(env, kvm_abi_run_offsets));
  exports.Set("sizes", Table(env, kvm_abi_sizes));
  Napi::Object c = Table(env, kvm_abi_constants);
  c.Set("KICK_SIGNAL", Napi::Number::New(env, KickSignal()));
  exports.Set("constants", c);
}

}  // namespace kvmsys
