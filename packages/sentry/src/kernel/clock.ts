// The host clocks the kernel's timers and waits run on: CLOCK_MONOTONIC is
// the host's monotonic clock (process.hrtime), CLOCK_REALTIME is that plus
// an offset taken once from the wall clock, so both tick with nanosecond
// resolution and realtime never jumps while the sandbox runs.
const hrtime = process.hrtime.bigint;
const realtimeOffset = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) - hrtime();

export function monotonicNs(): bigint {
  return hrtime();
}

export function realtimeNs(): bigint {
  return hrtime() + realtimeOffset;
}
