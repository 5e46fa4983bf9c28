// Host descriptors Node has no call for, which a container runtime built on
// tsv needs (apps/oci): a host pseudo-terminal pair, and descriptors passed
// over unix sockets with SCM_RIGHTS (an OCI runtime sends a terminal's
// master to the engine's --console-socket; `exec` hands its stdio to the
// process that holds the sandbox). Every descriptor made here is
// close-on-exec; each function returns -errno on failure.
#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <vector>

namespace kvmsys {
namespace {

// Most descriptors one message carries (Linux's SCM_MAX_FD is 253).
constexpr size_t kMaxFds = 253;
// Most bytes of a message's data that unixAccept reads.
constexpr size_t kMaxData = 64 * 1024;

Napi::Value Errno(Napi::Env env) { return Napi::Number::New(env, -errno); }

// A sockaddr_un for `path`; false when it does not fit in sun_path.
bool Address(const std::string& path, sockaddr_un* addr) {
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) return false;
  memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

// openpty() -> [master, slave] or -errno. The slave is in raw mode (no echo,
// no line editing, no output processing): the sandbox's own terminal does
// that, and the host pty only carries its bytes.
Napi::Value OpenPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Errno(env);
  char name[128];
  int slave = -1;
  if (grantpt(master) == 0 && unlockpt(master) == 0 && ptsname_r(master, name, sizeof(name)) == 0)
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  termios t;
  if (slave >= 0 && tcgetattr(slave, &t) == 0) {
    cfmakeraw(&t);
    if (tcsetattr(slave, TCSANOW, &t) == 0) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::Number::New(env, master));
      pair.Set(1u, Napi::Number::New(env, slave));
      return pair;
    }
  }
  int err = errno;
  if (slave >= 0) close(slave);
  close(master);
  return Napi::Number::New(env, -err);
}

// unixListen(path) -> a listening, non-blocking unix stream socket bound at
// `path`, or -errno.
Napi::Value UnixListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_un addr;
  if (!Address(info[0].As<Napi::String>().Utf8Value(), &addr)) return Napi::Number::New(env, -ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno(env);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 || listen(fd, 64) < 0) {
    int err = errno;
    close(fd);
    return Napi::Number::New(env, -err);
  }
  return Napi::Number::New(env, fd);
}

// unixAccept(listener) -> { data, fds } of the next waiting connection's
// first message, or -errno (-EAGAIN: none waits, or its sender has not
// written yet). Never blocks; the connection is closed either way.
Napi::Value UnixAccept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int listener = info[0].As<Napi::Number>().Int32Value();
  int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return Errno(env);
  std::vector<char> data(kMaxData);
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFds));
  iovec iov = {data.data(), data.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = recvmsg(conn, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  int err = errno;
  close(conn);
  if (n < 0) return Napi::Number::New(env, -err);
  Napi::Array fds = Napi::Array::New(env);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* p = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) fds.Set(fds.Length(), Napi::Number::New(env, p[i]));
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("data", Napi::Buffer<char>::Copy(env, data.data(), static_cast<size_t>(n)));
  result.Set("fds", fds);
  return result;
}

// unixSend(path, data, fds) -> 0 or -errno: connects to the unix stream
// socket at `path`, sends `data` with `fds` (SCM_RIGHTS) in one message and
// closes the connection (what was sent stays readable by the other end).
Napi::Value UnixSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_un addr;
  if (!Address(info[0].As<Napi::String>().Utf8Value(), &addr)) return Napi::Number::New(env, -ENAMETOOLONG);
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  Napi::Array list = info[2].As<Napi::Array>();
  if (data.ByteLength() == 0 || list.Length() > kMaxFds) return Napi::Number::New(env, -EINVAL);
  std::vector<int> fds;
  for (uint32_t i = 0; i < list.Length(); i++) fds.push_back(list.Get(i).As<Napi::Number>().Int32Value());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno(env);
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (fds.empty() ? 1 : fds.size())));
  iovec iov = {data.Data(), data.ByteLength()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  int r;
  do r = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  while (r < 0 && errno == EINTR);
  if (r == 0) {
    do r = static_cast<int>(sendmsg(fd, &msg, MSG_NOSIGNAL));
    while (r < 0 && errno == EINTR);
  }
  int err = errno;
  close(fd);
  if (r < 0) return Napi::Number::New(env, -err);
  return Napi::Number::New(env, static_cast<size_t>(r) == data.ByteLength() ? 0 : -EMSGSIZE);
}

}  // namespace

void InitHostFds(Napi::Env env, Napi::Object exports) {
  exports.Set("openpty", Napi::Function::New(env, OpenPty, "openpty"));
  exports.Set("unixListen", Napi::Function::New(env, UnixListen, "unixListen"));
  exports.Set("unixAccept", Napi::Function::New(env, UnixAccept, "unixAccept"));
  exports.Set("unixSend", Napi::Function::New(env, UnixSend, "unixSend"));
}

}  // namespace kvmsys
