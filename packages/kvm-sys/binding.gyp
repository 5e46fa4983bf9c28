{
  "targets": [
    {
      "target_name": "kvm_sys",
      "sources": ["src/addon.cc", "src/abi.c", "src/constants.cc", "src/memory.cc", "src/kick.cc", "src/env-resources.cc", "src/host-fds.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: a call that fails while its
      # worker thread is being terminated must not abort the whole process (an
      # error thrown into a terminating environment is otherwise a fatal error).
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
