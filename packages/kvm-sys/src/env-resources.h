// Descriptors and timers held by one Node environment, released when it is
// torn down (see env-resources.cc). Every function making or closing one
// through the addon calls these, on the environment's own thread.
#pragma once
#include <napi.h>
#include <time.h>

namespace kvmsys {

void InitEnvResources(Napi::Env env);
void HoldFd(Napi::Env env, int fd);
void ForgetFd(Napi::Env env, int fd);
void HoldTimer(Napi::Env env, timer_t t);
void ForgetTimer(Napi::Env env, timer_t t);

}  // namespace kvmsys
