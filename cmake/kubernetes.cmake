# The Kubernetes daemons (src/kube, src/device_plugin) and their tests
# (tests/k8s) build when their libraries are present; scripts/ensure-deps.sh
# installs them from Debian packages. None of this is linked into the
# interceptors.
#
#   VSLICE_KUBE_DEPS_FOUND     libcurl, nlohmann-json, yaml-cpp: src/kube
#   VSLICE_GRPC_FOUND          gRPC C++, protobuf, protoc + grpc_cpp_plugin,
#                              cpp-httplib: src/device_plugin
#   VSLICE_K8S_PYTHON          a Python 3 that imports grpc, grpc_tools and
#                              yaml (the stand-ins in tests/k8s); Debian's
#                              python3-grpcio installs for /usr/bin/python3,
#                              which may not be the first python3 on PATH
set(VSLICE_K8S_MISSING "")

find_package(CURL QUIET)
find_package(nlohmann_json 3 QUIET)
find_package(yaml-cpp QUIET)
if(CURL_FOUND AND nlohmann_json_FOUND AND yaml-cpp_FOUND)
  set(VSLICE_KUBE_DEPS_FOUND ON)
else()
  set(VSLICE_KUBE_DEPS_FOUND OFF)
  list(APPEND VSLICE_K8S_MISSING "libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev")
endif()

find_package(Protobuf QUIET)
find_package(gRPC CONFIG QUIET)
find_program(VSLICE_GRPC_CPP_PLUGIN grpc_cpp_plugin)
find_path(VSLICE_HTTPLIB_INCLUDE httplib.h)
find_library(VSLICE_HTTPLIB_LIBRARY cpp-httplib)
if(Protobuf_FOUND AND gRPC_FOUND AND VSLICE_GRPC_CPP_PLUGIN AND Protobuf_PROTOC_EXECUTABLE
   AND VSLICE_HTTPLIB_INCLUDE)
  set(VSLICE_GRPC_FOUND ON)
else()
  set(VSLICE_GRPC_FOUND OFF)
  list(APPEND VSLICE_K8S_MISSING "libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libcpp-httplib-dev")
endif()

set(VSLICE_K8S_PYTHON "" CACHE FILEPATH "Python 3 with grpc, grpc_tools and yaml, for tests/k8s")
if(NOT VSLICE_K8S_PYTHON)
  foreach(candidate /usr/bin/python3 python3)
    find_program(_vslice_python NAMES ${candidate} NO_CACHE)
    if(_vslice_python)
      execute_process(COMMAND ${_vslice_python} -c "import grpc, grpc_tools.protoc, yaml"
                      RESULT_VARIABLE _vslice_python_rc OUTPUT_QUIET ERROR_QUIET)
      if(_vslice_python_rc EQUAL 0)
        set(VSLICE_K8S_PYTHON ${_vslice_python} CACHE FILEPATH
            "Python 3 with grpc, grpc_tools and yaml, for tests/k8s" FORCE)
        break()
      endif()
    endif()
    unset(_vslice_python)
  endforeach()
endif()
if(NOT VSLICE_K8S_PYTHON)
  list(APPEND VSLICE_K8S_MISSING "python3-grpcio python3-grpc-tools python3-yaml (for /usr/bin/python3)")
endif()

if(VSLICE_K8S_MISSING)
  string(JOIN ", " _vslice_missing ${VSLICE_K8S_MISSING})
  message(WARNING "vslice: Kubernetes daemons or their tests not fully built; missing: "
                  "${_vslice_missing}. Run scripts/ensure-deps.sh (or apt-get install them).")
endif()
