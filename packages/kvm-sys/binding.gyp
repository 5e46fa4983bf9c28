{
  "targets": [
    {
      "target_name": "kvm_sys",
      "sources": ["src/addon.cc", "src/abi.c", "src/constants.cc", "src/memory.cc", "src/kick.cc", "src/env-resources.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
