// Mappings visible to JS as ArrayBuffers without copies: guest memory
// (private anonymous pages of this process) and a vCPU's kvm_run page (a
// shared mapping of the vCPU descriptor). Each mapping is released exactly
// once: by unmap() (which also detaches the buffer, so JS can no longer
// reach the unmapped pages) or, failing that, when the buffer is garbage
// collected or its environment torn down.
#include "addon.h"
#include "kick.h"

#include <errno.h>
#include <sys/mman.h>

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

// An ArrayBuffer over [p, p + size), registered for unmap() and released
// when collected: { buffer, address }.
Napi::Object Wrap(Napi::Env env, void* p, size_t size) {
  Mapping* m = new Mapping{p, size, false};
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

// mapGuest(size) -> { buffer, address } or -errno: `size` bytes of guest
// memory, private anonymous pages that read as zero and cost host memory
// only once touched (MAP_NORESERVE). Measured on this project's host
// against a memfd mapped shared: backing a page (populate) costs half as
// much, giving pages back (discard) and unmapping about 2.4 times less.
// - MADV_DONTFORK: a child the host process forks (child_process) gets no
//   copy of the guest's pages, and the guest's later writes cost no
//   copy-on-write break. Refused, the mapping is not made.
// - MADV_NOHUGEPAGE: frames are handed out and given back 4 KiB at a time;
//   a huge page would back (and zero) 2 MiB for the first of them, measured
//   3 to 6 times slower per page on that host. Best effort.
Napi::Value MapGuest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t size = ToU64(info[0]);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return Napi::Number::New(env, -errno);
  if (madvise(p, size, MADV_DONTFORK) < 0) {
    int e = errno;
    munmap(p, size);
    return Napi::Number::New(env, -e);
  }
  madvise(p, size, MADV_NOHUGEPAGE);
  return Wrap(env, p, static_cast<size_t>(size));
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
  return Wrap(env, p, static_cast<size_t>(size));
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

// discard(buffer, offset, length) -> 0 or -errno: gives pages of a guest
// memory mapping back to the host; they read as zero afterwards
// (MADV_DONTNEED on private anonymous memory).
Napi::Value Discard(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer buf = info[0].As<Napi::ArrayBuffer>();
  uint64_t off = ToU64(info[1]);
  uint64_t len = ToU64(info[2]);
  size_t size = buf.ByteLength();
  if (off > size || len > size - off) return Napi::Number::New(info.Env(), -EINVAL);
  if (len == 0) return Napi::Number::New(info.Env(), 0);
  int r = madvise(static_cast<char*>(buf.Data()) + off, len, MADV_DONTNEED);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

// populate(buffer, offset, length) -> 0 or -errno: makes the host back
// [offset, offset + length) of a guest memory mapping with memory now
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
  exports.Set("mapGuest", Napi::Function::New(env, MapGuest, "mapGuest"));
  exports.Set("mapShared", Napi::Function::New(env, MapShared, "mapShared"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("discard", Napi::Function::New(env, Discard, "discard"));
  exports.Set("populate", Napi::Function::New(env, Populate, "populate"));
}

}  // namespace kvmsys
