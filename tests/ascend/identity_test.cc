// The identity of an NPU that a pod records when its processes select it, by
// which the node registry knows the device whatever number each pod gives it.
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "ascend_env.h"
#include "core/pod_region.h"

namespace vslice::testing {
namespace {

// The pod region's recorded identity of device `device`, as a string of 16
// bytes, or "" when none was recorded.
std::string Recorded(const Scratch& scratch, int device) {
  PodRegion region;
  char error[256];
  if (!region.OpenExisting(scratch.File("pod.region").c_str(), error, sizeof error)) {
    ADD_FAILURE() << error;
    return "";
  }
  const DeviceLedger& ledger = region.layout()->devices[device];
  if (ledger.uuid_state.load() != 2) return "";
  return std::string(reinterpret_cast<const char*>(ledger.uuid), 16);
}

std::string Identity(const char* prefix, int index) {
  std::string id(prefix, 12);
  id += static_cast<char>(index >> 24);
  id += static_cast<char>(index >> 16);
  id += static_cast<char>(index >> 8);
  id += static_cast<char>(index);
  return id;
}

// The probe selects its device with aclrtSetDevice and does nothing else.
TEST(AscendIdentityTest, SelectingTheDeviceRecordsTheRuntimesUuid) {
  Scratch scratch;
  const ProcessResult r = RunProcess({AscendProbe(), "report"}, AscendPodEnvironment(scratch));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Recorded(scratch, 0), Identity("vsliceSIMnpu", 0));
  EXPECT_EQ(Recorded(scratch, 1), "");
}

TEST(AscendIdentityTest, WithoutTheUuidFeatureThePhysicalIdNamesTheDevice) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_SIM_NPU_UUID"] = "none";
  const ProcessResult r = RunProcess({AscendProbe(), "report"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Recorded(scratch, 0), Identity("vsliceNPUphy", 0));
  EXPECT_EQ(r.err, "") << "a runtime without UUIDs is no reason to complain";
}

}  // namespace
}  // namespace vslice::testing
