// libvslice_ascend.so exports exactly the runtime, AscendCL and DCMI functions
// it wraps, and dlsym: nothing it merely calls, nothing of its C++ insides. And
// its dlsym leaves other libraries' RTLD_NEXT lookups their meaning.
#include <dlfcn.h>

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "process_harness.h"

namespace vslice::testing {
namespace {

constexpr const char* kWrapped[] = {
    "rtMalloc", "rtMallocCached", "rtFree", "rtsMalloc", "rtMemAlloc", "rtsFree",
    "rtDvppMalloc", "rtDvppMallocWithFlag", "rtDvppFree", "rtMallocPhysical", "rtFreePhysical",
    "rtMemGetInfoEx", "rtMemGetInfo", "rtKernelLaunch", "rtKernelLaunchWithFlag",
    "rtKernelLaunchWithFlagV2", "rtKernelLaunchWithHandle", "rtKernelLaunchWithHandleV2",
    "rtKernelLaunchEx", "rtKernelLaunchFwk", "rtCpuKernelLaunch", "rtCpuKernelLaunchWithFlag",
    "rtAicpuKernelLaunchWithFlag", "rtAicpuKernelLaunchExWithArgs", "rtModelExecute",
    "rtSetDevice", "aclrtMalloc", "aclrtMallocAlign32", "aclrtMallocCached", "aclrtMallocWithCfg",
    "aclrtFree", "aclrtMallocPhysical", "aclrtFreePhysical", "aclrtGetMemInfo", "aclrtSetDevice",
    "aclrtLaunchKernel", "aclrtLaunchKernelWithConfig", "aclrtLaunchKernelWithHostArgs",
    "dcmi_get_device_resource_info", "dcmi_get_device_hbm_info", "dlsym",
};

TEST(AscendExportsTest, ExactlyTheWrappedFunctionsAndDlsym) {
  // RTLD_LOCAL: loaded for inspection, interposing nothing in this process.
  void* lib = dlopen((LibDir() + "/libvslice_ascend.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  Dl_info info{};
  for (const char* name : kWrapped) {
    void* symbol = dlsym(lib, name);
    ASSERT_NE(symbol, nullptr) << name;
    ASSERT_NE(dladdr(symbol, &info), 0) << name;
    EXPECT_NE(std::string(info.dli_fname).find("libvslice_ascend.so"), std::string::npos)
        << name << " is not the interceptor's own";
  }
  // Called, never wrapped: the application must get the runtime's own.
  for (const char* name : {"rtGetDevice", "rtDeviceSynchronize", "rtEventRecord",
                           "rtGetDeviceUuid", "aclrtGetDevice", "rtStreamSynchronize",
                           "dcmi_get_device_logic_id", "rtLaunchKernelByFuncHandle"}) {
    void* symbol = dlsym(lib, name);
    if (symbol != nullptr && dladdr(symbol, &info) != 0) {
      EXPECT_EQ(std::string(info.dli_fname).find("libvslice_ascend.so"), std::string::npos)
          << name;
    }
  }
  EXPECT_EQ(dlsym(lib, "_ZN6vslice11QuotaClient3GetEv"), nullptr) << "C++ insides exported";
  dlclose(lib);
}

TEST(AscendExportsTest, RtldNextLookupsOfOtherLibrariesKeepTheirMeaning) {
  std::map<std::string, std::string> env{{"LD_PRELOAD", LibDir() + "/libvslice_ascend.so"},
                                         {"LD_LIBRARY_PATH", LibDir()}};
  const ProcessResult r = RunProcess({BinDir() + "/vslice_ascend_next_check"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "next ok\n") << r.err;
}

}  // namespace
}  // namespace vslice::testing
