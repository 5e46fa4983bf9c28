// Shared mappings visible to JS as ArrayBuffers without copies: guest memory
// (a memfd) and a vCPU's kvm_run page. Each mapping is released exactly once:
// by unmap() (which also detaches the buffer, so JS can no longer reach the
// unmapped pages) or, failing that, when the buffer is garbage collected.
#include "addon.h"
#include "env-resources.h"
#include "kick.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>

namespace kvmsys {
namespace {

struct Mapping {
  void* addr;
  size_t len;
  bool unmapped;
};

// Live mappings by address, so unmap() can find one from its buffer.
std::mutex mappings_lock;
std::unordered_map<void*, Mapping*> mappings;

void Release(Mapping* m) {
  if (!m->unmapped) {
    ForgetKickTargets(m->addr, m->len);
    munmap(m->addr, m->len);
    m->unmapped = true;
  }
}

void Finalize(Napi::Env, void*, Mapping* m) {
  std::lock_guard<std::mutex> g(mappings_lock);
  if (!m->unmapped) {
    mappings.erase(m->addr);
    Release(m);
  }
  delete m;
}

// memfdCreate(name, size) -> fd or -errno. The file is sparse: pages cost
// host memory only once touched.
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uint64_t size = ToU64(info[1]);
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  if (ftruncate(fd, static_cast<off_t>(size)) < 0) {
    int e = errno;
    close(fd);
    return Napi::Number::New(info.Env(), -e);
  }
  HoldFd(info.Env(), fd);
  return Napi::Number::New(info.Env(), fd);
}

// mapShared(fd, size, offset) -> { buffer, address } or -errno.
Napi::Value MapShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t size = ToU64(info[1]);
  uint64_t offset = info.Length() > 2 ? ToU64(info[2]) : 0;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                 static_cast<off_t>(offset));
  if (p == MAP_FAILED) return Napi::Number::New(env, -errno);
  Mapping* m = new Mapping{p, static_cast<size_t>(size), false};
  {
    std::lock_guard<std::mutex> g(mappings_lock);
    mappings[p] = m;
  }
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, p, size, Finalize, m);
  Napi::Object r = Napi::Object::New(env);
  r.Set("buffer", buf);
  r.Set("address", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p))));
  return r;
}

// unmap(buffer) -> 0, or -EINVAL when the buffer is not a live mapping.
Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer buf = info[0].As<Napi::ArrayBuffer>();
  void* p = buf.Data();
  {
    std::lock_guard<std::mutex> g(mappings_lock);
    auto it = mappings.find(p);
    if (p == nullptr || it == mappings.end()) return Napi::Number::New(info.Env(), -EINVAL);
    Release(it->second);
    mappings.erase(it);
  }
  buf.Detach();
  return Napi::Number::New(info.Env(), 0);
}

// punchHole(fd, offset, length) -> 0 or -errno: gives pages of a memfd back
// to the host (madvise(DONTNEED) semantics for guest frames).
Napi::Value PunchHole(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t off = ToU64(info[1]);
  uint64_t len = ToU64(info[2]);
  int r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
                    static_cast<off_t>(len));
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

// populate(buffer, offset, length) -> 0 or -errno: makes the host back
// [offset, offset + length) of a mapping made by mapShared with memory now
// (MADV_POPULATE_WRITE, Linux 5.14). A guest's first touch of a page the
// host has never backed costs a host fault inside KVM as well as a shadow
// fault; populating a run in one call is several times cheaper.
Napi::Value Populate(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer buf = info[0].As<Napi::ArrayBuffer>();
  uint64_t off = ToU64(info[1]);
  uint64_t len = ToU64(info[2]);
  size_t size = buf.ByteLength();
  if (off > size || len > size - off) return Napi::Number::New(info.Env(), -EINVAL);
  if (len == 0) return Napi::Number::New(info.Env(), 0);
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
  int r = madvise(static_cast<char*>(buf.Data()) + off, len, MADV_POPULATE_WRITE);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("mapShared", Napi::Function::New(env, MapShared, "mapShared"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("punchHole", Napi::Function::New(env, PunchHole, "punchHole"));
  exports.Set("populate", Napi::Function::New(env, Populate, "populate"));
}

}  // namespace kvmsys
