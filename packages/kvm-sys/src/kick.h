#pragma once
namespace kvmsys {
// The signal that kicks a thread out of KVM_RUN (a real-time signal that Node
// and libuv leave alone).
int KickSignal();
}  // namespace kvmsys

#include <cstddef>
namespace kvmsys {
// Drops every binding whose immediate_exit lies in [addr, addr+len): called
// when that memory is unmapped, so the handler never writes to a dead page.
void ForgetKickTargets(void* addr, size_t len);
}  // namespace kvmsys
