// HAMi's annotation strings and Kubernetes quantities.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hami/allocation_codec.h"
#include "hami/node_lock.h"
#include "hami/quantity.h"
#include "hami/register_codec.h"

namespace vslice::hami {
namespace {

TEST(SchedulerCodec, ReadsHamisJsonRegisterListWithOmittedZeroes) {
  // As HAMi's MarshalNodeDevices writes it: Go drops index 0 and numa 0.
  const std::string text =
      R"([{"id":"GPU-0a","count":10,"devmem":81559,"devcore":100,"type":"NVIDIA-NVIDIA H100 80GB HBM3","mode":"hami-core","health":true},)"
      R"({"id":"GPU-1b","index":1,"count":10,"devmem":81559,"devcore":100,"type":"NVIDIA-NVIDIA H100 80GB HBM3","numa":1,"mode":"hami-core"}])";
  std::vector<RegisteredDevice> devices;
  std::string error;
  ASSERT_TRUE(DecodeRegisterAnnotation(text, &devices, &error)) << error;
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].id, "GPU-0a");
  EXPECT_EQ(devices[0].index, 0);
  EXPECT_EQ(devices[0].numa, 0);
  EXPECT_EQ(devices[0].devmem_mib, 81559);
  EXPECT_TRUE(devices[0].health);
  EXPECT_EQ(devices[1].index, 1);
  EXPECT_EQ(devices[1].numa, 1);
  EXPECT_FALSE(devices[1].health);  // omitted false
  // Written back byte for byte as HAMi's Go code writes it.
  EXPECT_EQ(EncodeRegisterAnnotation(devices), text);
  std::vector<RegisteredDevice> again;
  ASSERT_TRUE(DecodeRegisterAnnotation(EncodeRegisterAnnotation(devices), &again, &error));
  EXPECT_EQ(again, devices);
}

TEST(SchedulerCodec, ReadsTheOlderColonRegisterForm) {
  std::vector<RegisteredDevice> devices;
  std::string error;
  ASSERT_TRUE(DecodeRegisterAnnotation("GPU-a,10,32768,100,NVIDIA-V100,0,true:GPU-b,5,16384,50,NVIDIA-T4,1,false,3,mig:",
                                       &devices, &error))
      << error;
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].count, 10);
  EXPECT_EQ(devices[0].mode, "hami-core");
  EXPECT_EQ(devices[1].index, 3);
  EXPECT_EQ(devices[1].mode, "mig");
  EXPECT_FALSE(devices[1].health);
}

TEST(SchedulerCodec, RegisterListErrorsNameTheDeviceAndField) {
  std::vector<RegisteredDevice> devices;
  std::string error;
  EXPECT_FALSE(DecodeRegisterAnnotation(R"([{"id":"GPU-a","devmem":"lots"}])", &devices, &error));
  EXPECT_NE(error.find("device 0"), std::string::npos) << error;
  EXPECT_NE(error.find("devmem"), std::string::npos) << error;
  EXPECT_FALSE(DecodeRegisterAnnotation(R"([{"count":1}])", &devices, &error));
  EXPECT_NE(error.find("id"), std::string::npos) << error;
  EXPECT_FALSE(DecodeRegisterAnnotation("[not json", &devices, &error));
  EXPECT_FALSE(DecodeRegisterAnnotation("GPU-a,ten,1,1,T,0,true:", &devices, &error));
  EXPECT_FALSE(DecodeRegisterAnnotation("", &devices, &error));
}

TEST(SchedulerCodec, AllocationStringsMatchHamisGoldenForm) {
  PodShares pod = {{}, {{"GPU-a", "NVIDIA", 3000, 30}, {"GPU-b", "NVIDIA", 3000, 30}}, {{"GPU-c", "NVIDIA", 1024, 0}}};
  const std::string text = EncodePodShares(pod);
  EXPECT_EQ(text, ";GPU-a,NVIDIA,3000,30:GPU-b,NVIDIA,3000,30:;GPU-c,NVIDIA,1024,0:;");
  PodShares back;
  std::string error;
  ASSERT_TRUE(DecodePodShares(text, &back, &error)) << error;
  EXPECT_EQ(back, pod);
  // One container, as HAMi writes it for the common case.
  ASSERT_TRUE(DecodePodShares("GPU-8f2e,NVIDIA,3000,30:;", &back, &error));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0][0].mem_mib, 3000);
  EXPECT_FALSE(DecodePodShares("GPU-a,NVIDIA,lots,30:;", &back, &error));
  EXPECT_EQ(error, "device entry \"GPU-a,NVIDIA,lots,30\" is not UUID,TYPE,MEMORY_MIB,CORES (as HAMi's scheduler writes it)");
  EXPECT_FALSE(DecodePodShares("GPU-a,NVIDIA,-10,30:;", &back, &error));
  EXPECT_FALSE(DecodePodShares("GPU-a,NVIDIA,10:;", &back, &error));
}

TEST(SchedulerCodec, NodeLockValueRoundTripsAndReadsOffsets) {
  NodeLock lock{1764880449, "team-a", "infer-0"};
  const std::string text = EncodeNodeLock(lock);
  EXPECT_EQ(text, "2025-12-04T20:34:09Z,team-a,infer-0");
  NodeLock back;
  std::string error;
  ASSERT_TRUE(DecodeNodeLock(text, &back, &error)) << error;
  EXPECT_EQ(back.unix_seconds, lock.unix_seconds);
  EXPECT_EQ(back.pod_name, "infer-0");
  EXPECT_EQ(back.time, "2025-12-04T20:34:09Z");
  // Go's time.RFC3339 in a zone east of UTC, and HAMi's old bare form.
  ASSERT_TRUE(DecodeNodeLock("2025-12-05T04:34:09+08:00,team-a,infer-0", &back, &error));
  EXPECT_EQ(back.unix_seconds, lock.unix_seconds);
  ASSERT_TRUE(DecodeNodeLock("2025-12-04T20:34:09.5Z", &back, &error));
  EXPECT_TRUE(back.pod_name.empty());
  EXPECT_FALSE(DecodeNodeLock("yesterday,team-a,infer-0", &back, &error));
  EXPECT_NE(error.find("is not RFC 3339"), std::string::npos) << error;
  EXPECT_FALSE(DecodeNodeLock("2025-12-04T20:34:09Z,a", &back, &error));
  EXPECT_EQ(error, "node lock \"2025-12-04T20:34:09Z,a\" is not TIME,NAMESPACE,POD");
}

TEST(SchedulerQuantity, ReadsWholeNumbersSuffixesAndRoundsFractionsUp) {
  std::int64_t v = 0;
  std::string error;
  struct Case {
    const char* text;
    std::int64_t value;
  } cases[] = {{"3000", 3000}, {"1k", 1000}, {"2Ki", 2048}, {"1Gi", 1073741824}, {"1.5", 2},
               {"500m", 1},    {"2000m", 2}, {"1e3", 1000}, {"+7", 7},          {"0", 0}};
  for (const Case& c : cases) {
    ASSERT_TRUE(ParseQuantity(std::string_view(c.text), &v, &error)) << c.text << ": " << error;
    EXPECT_EQ(v, c.value) << c.text;
  }
  for (const char* bad : {"", "-1", "ten", "5x", "1..2", "Gi"}) {
    EXPECT_FALSE(ParseQuantity(std::string_view(bad), &v, &error)) << bad;
  }
  ASSERT_TRUE(ParseQuantityJson(nlohmann::json(12), &v, &error));
  EXPECT_EQ(v, 12);
  EXPECT_FALSE(ParseQuantityJson(nlohmann::json::array(), &v, &error));
}

}  // namespace
}  // namespace vslice::hami
