#!/usr/bin/env bash
# Installs what the build needs (CMake, Ninja, a C++20 compiler, GoogleTest,
# Google Benchmark) from Debian/Ubuntu packages when it is missing, and what
# the Kubernetes daemons and their tests need (libcurl, nlohmann-json,
# yaml-cpp, gRPC/protobuf, cpp-httplib; Python's grpc and yaml for the
# stand-ins in tests/k8s, installed for /usr/bin/python3).
set -euo pipefail

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
[ -f /usr/include/gtest/gtest.h ] || missing+=(libgtest-dev)
[ -f /usr/include/gmock/gmock.h ] || missing+=(libgmock-dev)
[ -f /usr/include/benchmark/benchmark.h ] || missing+=(libbenchmark-dev)
# Kubernetes daemons (src/kube, src/device_plugin): never linked into the interceptors.
compgen -G '/usr/include/*/curl/curl.h' >/dev/null || missing+=(libcurl4-openssl-dev)
[ -f /usr/include/nlohmann/json.hpp ] || missing+=(nlohmann-json3-dev)
[ -f /usr/include/yaml-cpp/yaml.h ] || missing+=(libyaml-cpp-dev)
[ -f /usr/include/grpcpp/grpcpp.h ] || missing+=(libgrpc++-dev libprotobuf-dev)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
command -v grpc_cpp_plugin >/dev/null 2>&1 || missing+=(protobuf-compiler-grpc)
[ -f /usr/include/httplib.h ] || missing+=(libcpp-httplib-dev)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
# The stand-ins of tests/k8s run on Debian's Python, which has these modules.
if ! /usr/bin/python3 -c 'import grpc, grpc_tools.protoc, yaml, jsonpatch' >/dev/null 2>&1; then
  missing+=(python3 python3-grpcio python3-grpc-tools python3-protobuf python3-yaml python3-jsonpatch)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "vslice: installing build dependencies: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "vslice: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "vslice: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
