// The device plugin's decisions, as pure functions: HAMi's formats (golden
// strings from HAMi's documentation and tests), the allocation plan, the
// response built from it, health, configuration, cleanup and metrics.
#include <gtest/gtest.h>

#include "device_plugin/allocation.h"
#include "device_plugin/container_record.h"
#include "device_plugin/device_health.h"
#include "device_plugin/hami_protocol.h"
#include "device_plugin/node_metrics.h"
#include "device_plugin/plugin_config.h"
#include "device_plugin/pod_info.h"

namespace vslice::dp {
namespace {

constexpr char kV100a[] = "GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec";
constexpr char kV100b[] = "GPU-0fc3eda5-e98b-a25b-5b0d-cf5c855d1448";

TEST(HamiProtocol, DecodesTheSchedulersTwoContainerExample) {
  // HAMi docs/develop/protocol.md, "Schedule Decision".
  PodDevices pd;
  std::string error;
  ASSERT_TRUE(DecodePodDevices(
      "GPU-0fc3eda5-e98b-a25b-5b0d-cf5c855d1448,NVIDIA,3000,0:;GPU-0fc3eda5-e98b-a25b-5b0d-cf5c855d1448,NVIDIA,5000,0:;",
      &pd, &error))
      << error;
  ASSERT_EQ(pd.size(), 2u);
  EXPECT_EQ(pd[0], (ContainerDevices{{kV100b, "NVIDIA", 3000, 0}}));
  EXPECT_EQ(pd[1], (ContainerDevices{{kV100b, "NVIDIA", 5000, 0}}));
  EXPECT_EQ(EncodePodDevices(pd),
            "GPU-0fc3eda5-e98b-a25b-5b0d-cf5c855d1448,NVIDIA,3000,0:;GPU-0fc3eda5-e98b-a25b-5b0d-cf5c855d1448,NVIDIA,5000,0:;");
}

TEST(HamiProtocol, EmptyEntriesKeepContainerPositions) {
  // HAMi pkg/device/devices.go: "dev1:;dev2:;;dev3:;" keeps the empty entry.
  PodDevices pd;
  std::string error;
  ASSERT_TRUE(DecodePodDevices("GPU-aaa,NVIDIA,3000,50:;;GPU-bbb,NVIDIA,4000,60:GPU-ccc,NVIDIA,1,2:;", &pd, &error));
  ASSERT_EQ(pd.size(), 3u);
  EXPECT_TRUE(pd[1].empty());
  EXPECT_EQ(pd[2].size(), 2u);
  EXPECT_FALSE(AllServed(pd));
  pd[0].clear();
  pd[2].clear();
  EXPECT_TRUE(AllServed(pd));
  EXPECT_EQ(EncodePodDevices(pd), ";;;");
}

TEST(HamiProtocol, MalformedDeviceEntriesAreRefusedWithTheEntry) {
  PodDevices pd;
  std::string error;
  EXPECT_FALSE(DecodePodDevices("GPU-aaa,NVIDIA,lots,0:;", &pd, &error));
  EXPECT_EQ(error, "device entry \"GPU-aaa,NVIDIA,lots,0\" is not UUID,TYPE,MEMORY_MIB,CORES (as HAMi's scheduler writes it)");
  EXPECT_FALSE(DecodePodDevices("GPU-aaa,NVIDIA,3000:;", &pd, &error));
  EXPECT_FALSE(DecodePodDevices("GPU-aaa,NVIDIA,-1,0:;", &pd, &error));
}

TEST(HamiProtocol, RegisterAnnotationIsWhatHamisPluginWrites) {
  PluginConfig config;
  std::vector<PhysicalDevice> devices = {
      {kV100a, 0, "Tesla V100-PCIE-32GB", 32ull << 30, 0, true},
      {kV100b, 1, "NVIDIA H100 80GB HBM3", 80ull << 30, 1, false},
  };
  const std::string text = EncodeNodeRegister(RegisteredDevices(devices, config));
  // Go's encoding/json of HAMi's DeviceInfo: field order id, index, count,
  // devmem, devcore, type, numa, mode, health; zero values omitted.
  EXPECT_EQ(text, std::string("[{\"id\":\"") + kV100a +
                      "\",\"count\":10,\"devmem\":32768,\"devcore\":100,\"type\":\"NVIDIA-Tesla V100-PCIE-32GB\","
                      "\"mode\":\"hami-core\",\"health\":true},{\"id\":\"" + kV100b +
                      "\",\"index\":1,\"count\":10,\"devmem\":81920,\"devcore\":100,\"type\":\"NVIDIA H100 80GB HBM3\","
                      "\"numa\":1,\"mode\":\"hami-core\"}]");
  std::vector<RegisteredDevice> back;
  std::string error;
  ASSERT_TRUE(DecodeNodeRegister(text, &back, &error)) << error;
  EXPECT_EQ(back, RegisteredDevices(devices, config));
  // HAMi's test fixture (pkg/scheduler tests) decodes too.
  ASSERT_TRUE(DecodeNodeRegister(
      R"([{"id":"GPU-1","count":10,"devmem":8192,"devcore":100,"type":"NVIDIA-A100","numa":0,"health":true,"index":1,"mode":"hami-core"}])",
      &back, &error));
  EXPECT_EQ(back[0].index, 1);
  EXPECT_EQ(back[0].devmem, 8192);
}

TEST(HamiProtocol, ScalingAppliesToMemoryAndCores) {
  PluginConfig config;
  config.memory_scaling = 1.5;
  config.core_scaling = 2;
  config.split_count = 4;
  const auto r = RegisteredDevices({{"GPU-x", 0, "NVIDIA A10", 24ull << 30, 0, true}}, config);
  EXPECT_EQ(r[0].devmem, 36864);
  EXPECT_EQ(r[0].devcore, 200);
  EXPECT_EQ(r[0].count, 4);
  EXPECT_EQ(r[0].type, "NVIDIA A10");
}

TEST(HamiProtocol, HandshakeAndNodeLock) {
  const std::string h = HandshakeValue(0);
  EXPECT_EQ(h.rfind("Reported_19", 0), 0u) << h;
  EXPECT_EQ(h.size(), std::string("Reported_2006.01.02 15:04:05").size());
  NodeLock lock;
  std::string error;
  ASSERT_TRUE(ParseNodeLock("2024-01-23T04:30:04Z,default,pod1", &lock, &error));
  EXPECT_EQ(lock.time, "2024-01-23T04:30:04Z");
  EXPECT_EQ(lock.ns, "default");
  EXPECT_EQ(lock.name, "pod1");
  ASSERT_TRUE(ParseNodeLock("2024-01-23T04:30:04Z", &lock, &error));  // legacy: no owner
  EXPECT_TRUE(lock.name.empty());
  EXPECT_FALSE(ParseNodeLock("2024-01-23T04:30:04Z,default", &lock, &error));
  EXPECT_NE(error.find("TIME,NAMESPACE,POD"), std::string::npos);
}

PodInfo TwoContainerPod() {
  PodInfo pod;
  pod.ns = "default";
  pod.name = "p";
  pod.uid = "u-1";
  pod.init_containers = {{"init", {}, {}}};
  pod.containers = {{"a", {}, {{"nvidia.com/priority", "1"}}}, {"b", {{"CUDA_DISABLE_CONTROL", "TRUE"}}, {}}};
  return pod;
}

TEST(Allocation, EachRequestTakesTheNextEntryWithDevices) {
  const PodInfo pod = TwoContainerPod();
  PodDevices annotated = {{}, {{"GPU-1", "NVIDIA", 1000, 20}}, {{"GPU-2", "NVIDIA", 2000, 0}, {"GPU-1", "NVIDIA", 500, 0}}};
  AllocationPlan plan;
  std::string error;
  ASSERT_TRUE(PlanAllocation(pod, annotated, {{"GPU-1-0"}}, &plan, &error)) << error;
  ASSERT_EQ(plan.containers.size(), 1u);
  EXPECT_EQ(plan.containers[0].entry, 1u);
  EXPECT_EQ(plan.containers[0].container, "a");
  EXPECT_TRUE(plan.remaining[1].empty());
  EXPECT_FALSE(AllServed(plan.remaining));
  AllocationPlan second;
  ASSERT_TRUE(PlanAllocation(pod, plan.remaining, {{"GPU-2-0", "GPU-1-3"}}, &second, &error)) << error;
  EXPECT_EQ(second.containers[0].container, "b");
  EXPECT_TRUE(AllServed(second.remaining));
  EXPECT_FALSE(PlanAllocation(pod, second.remaining, {{"GPU-1-1"}}, &plan, &error));
  EXPECT_NE(error.find("has devices for only 0 more"), std::string::npos) << error;
  EXPECT_FALSE(PlanAllocation(pod, annotated, {{"GPU-1-0", "GPU-1-1"}}, &plan, &error));
  EXPECT_NE(error.find("the scheduler assigned 1 device(s) but kubelet asks for 2"), std::string::npos) << error;
}

TEST(Allocation, NvidiaResponseCarriesTheQuotaCapPriorityAndMounts) {
  PluginConfig config;
  config.hook_path = "/usr/local";
  const PodInfo pod = TwoContainerPod();
  ContainerPlan plan{1, "a", {{"GPU-1", "NVIDIA", 3000, 30}, {"GPU-2", "NVIDIA", 1024, 30}}};
  ContainerResponse r = NvidiaResponse(plan, pod, config);
  EXPECT_EQ(r.envs, (std::map<std::string, std::string>{
                        {"NVIDIA_VISIBLE_DEVICES", "GPU-1,GPU-2"},
                        {"CUDA_DEVICE_MEMORY_LIMIT_0", "3000m"},
                        {"CUDA_DEVICE_MEMORY_LIMIT_1", "1024m"},
                        {"CUDA_DEVICE_SM_LIMIT", "30"},
                        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/u-1_a.cache"},
                        {"CUDA_TASK_PRIORITY", "1"},
                        {"VSLICE_REGISTRY", "/tmp/vgpulock/vslice.registry"},
                    }));
  EXPECT_EQ(r.mounts, (std::vector<Mount>{
                          {"/tmp/vgpulock", "/tmp/vgpulock", false},
                          {"/etc/ld.so.preload", "/usr/local/vgpu/ld.so.preload", true},
                          {"/usr/local/vgpu", "/usr/local/vgpu/containers/u-1_a", false},
                          {"/usr/local/vgpu/libvgpu.so", "/usr/local/vgpu/libvslice.so", true},
                          {"/usr/local/vgpu/vslice-limiter", "/usr/local/vgpu/vslice-limiter", true},
                      }));
  // Container b turned control off: no ld.so.preload.
  ContainerPlan b{2, "b", {{"GPU-1", "NVIDIA", 100, 0}}};
  for (const Mount& m : NvidiaResponse(b, pod, config).mounts) EXPECT_NE(m.container_path, "/etc/ld.so.preload");
  config.memory_scaling = 2;
  config.libcuda_log_level = "3";
  config.disable_core_limit = true;
  r = NvidiaResponse(b, pod, config);
  EXPECT_EQ(r.envs["CUDA_OVERSUBSCRIBE"], "true");
  EXPECT_EQ(r.envs["LIBCUDA_LOG_LEVEL"], "3");
  EXPECT_EQ(r.envs["GPU_CORE_UTILIZATION_POLICY"], "disable");
}

TEST(Allocation, AscendResponseUsesTheChipIndexAndHamiVnpuNames) {
  PluginConfig config;
  config.vendor = Vendor::kAscend;
  config.names = AscendNames("Ascend910B2");
  const PodInfo pod = TwoContainerPod();
  ContainerPlan plan{1, "a", {{"NPU-B", "Ascend910B2", 16384, 40}}};
  const std::vector<PhysicalDevice> devices = {{"NPU-A", 0, "", 0, 0, true}, {"NPU-B", 1, "", 0, 0, true}};
  const ContainerResponse r = AscendResponse(plan, pod, config, devices);
  EXPECT_EQ(r.envs.at("ASCEND_VISIBLE_DEVICES"), "1");
  EXPECT_EQ(r.envs.at("NPU_MEM_QUOTA"), "16384");
  EXPECT_EQ(r.envs.at("NPU_PRIORITY"), "40");
  EXPECT_EQ(r.envs.at("NPU_GLOBAL_SHM_PATH"), "/tmp/vgpulock/vslice.registry");
  EXPECT_EQ(r.envs.at("VSLICE_REGION"), "/usr/local/vgpu/u-1_a.cache");
  EXPECT_EQ(config.names.resource_count, "huawei.com/Ascend910B2");
  EXPECT_EQ(config.names.resource_memory, "huawei.com/Ascend910B2-memory");
  EXPECT_EQ(config.names.to_allocate_annotation, "hami.io/Ascend910B2-devices-to-allocate");
  EXPECT_EQ(config.names.register_annotation, "hami.io/node-register-Ascend910B2");
}

TEST(Allocation, KubeletDevicesAndPreferredShares) {
  const auto list = KubeletDevices({{"GPU-a", 0, "", 0, 1, true}, {"GPU-b", 1, "", 0, 0, false}}, 2);
  EXPECT_EQ(list, (std::vector<KubeletDevice>{{"GPU-a-0", true, 1}, {"GPU-a-1", true, 1},
                                              {"GPU-b-0", false, 0}, {"GPU-b-1", false, 0}}));
  const std::vector<std::string> available = {"GPU-a-0", "GPU-a-1", "GPU-b-0", "GPU-b-1"};
  EXPECT_EQ(PreferredShares(available, {}, {{"GPU-b", "NVIDIA", 1, 0}}, 1), (std::vector<std::string>{"GPU-b-0"}));
  EXPECT_EQ(PreferredShares(available, {"GPU-a-1"}, {{"GPU-a", "NVIDIA", 1, 0}, {"GPU-b", "NVIDIA", 1, 0}}, 2),
            (std::vector<std::string>{"GPU-a-1", "GPU-b-0"}));
  EXPECT_TRUE(PreferredShares({"GPU-a-0"}, {}, {{"GPU-b", "NVIDIA", 1, 0}}, 1).empty());
}

TEST(PodInfo, TheBindingPodIsTheNewestAllocatingOneOfThisNode) {
  const auto pod = [](const char* name, const char* node, const char* phase, const char* time, const char* devices) {
    return ParsePod(nlohmann::json{
        {"metadata", {{"name", name}, {"namespace", "ns"}, {"uid", name},
                      {"annotations", {{"hami.io/vgpu-node", node}, {"hami.io/bind-phase", phase},
                                       {"hami.io/bind-time", time}, {"hami.io/vgpu-devices-to-allocate", devices}}}}},
        {"spec", {{"nodeName", node}, {"containers", {{{"name", "c"}, {"resources", {{"limits", {{"nvidia.com/gpu", 1}}}}}}}}}},
        {"status", {{"phase", "Pending"}}}});
  };
  const std::vector<PodInfo> pods = {
      pod("old", "n1", "allocating", "100", "GPU-1,NVIDIA,1,0:;"),
      pod("new", "n1", "allocating", "200", "GPU-1,NVIDIA,1,0:;"),
      pod("served", "n1", "success", "300", ";"),
      pod("elsewhere", "n2", "allocating", "400", "GPU-1,NVIDIA,1,0:;"),
      pod("failed", "n1", "failed", "500", "GPU-1,NVIDIA,1,0:;"),
  };
  EXPECT_EQ(pods[0].containers[0].limits.at("nvidia.com/gpu"), "1");
  const auto picked = PickBindingPod(pods, "n1", "hami.io/vgpu-devices-to-allocate");
  ASSERT_TRUE(picked);
  EXPECT_EQ(picked->name, "new");
  EXPECT_EQ(NotBindingHere(pods[3], "n1"),
            "pod ns/elsewhere is assigned to node \"n2\" (hami.io/vgpu-node), not to n1");
  EXPECT_NE(NotBindingHere(pods[4], "n1").find("bind-phase=\"failed\", expected allocating"), std::string::npos);
}

TEST(DeviceHealth, XidsAndVanishedDevicesAreStickyUnhealthy) {
  EXPECT_TRUE(IsApplicationXid(13));
  EXPECT_TRUE(IsApplicationXid(109));
  EXPECT_FALSE(IsApplicationXid(48));
  EXPECT_FALSE(IsApplicationXid(79));
  const std::vector<PhysicalDevice> known = {{"a", 0, "m", 100, 0, true}, {"b", 1, "m", 100, 0, true}};
  auto merged = MergeHealth(known, {{"a", 0, "m", 100, 0, true}}, {});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_TRUE(merged[0].healthy);
  EXPECT_FALSE(merged[1].healthy);  // b vanished
  merged = MergeHealth(merged, known, {"a"});
  EXPECT_FALSE(merged[0].healthy);  // an Xid on a
  EXPECT_FALSE(merged[1].healthy);  // b came back, but stays unhealthy until a restart
  // A lost GPU reports neither size nor model: what it had is kept.
  merged = MergeHealth(known, {{"a", 0, "", 0, 0, false}}, {});
  EXPECT_EQ(merged[0].memory_bytes, 100u);
  EXPECT_EQ(merged[0].model, "m");
}

TEST(PluginConfig, HamisConfigKeysAndPerNodeOverrides) {
  PluginConfig config;
  config.node_name = "gpu-7";
  std::string error;
  ASSERT_TRUE(ApplyConfigJson(nlohmann::json::parse(R"({
      "nvidia": {"deviceSplitCount": 5, "deviceMemoryScaling": 1.5, "resourceCountName": "vendor.com/gpu",
                 "libCudaLogLevel": "3", "migProfileAllowlist": []},
      "nodeconfig": [{"name": "gpu-7", "devicesplitcount": 3, "devicecorescaling": 2},
                     {"name": "other", "devicesplitcount": 9}]})"),
                              &config, &error))
      << error;
  EXPECT_EQ(config.split_count, 3);
  EXPECT_DOUBLE_EQ(config.memory_scaling, 1.5);
  EXPECT_DOUBLE_EQ(config.core_scaling, 2);
  EXPECT_EQ(config.names.resource_count, "vendor.com/gpu");
  EXPECT_EQ(config.libcuda_log_level, "3");
  EXPECT_FALSE(ApplyConfigJson(nlohmann::json::parse(R"({"deviceSplitCount": "ten"})"), &config, &error));
  EXPECT_EQ(error, "config deviceSplitCount must be a whole number in 1..1000");
  EXPECT_FALSE(ApplyConfigJson(nlohmann::json::parse(R"({"deviceMemoryScaling": -1})"), &config, &error));
  EXPECT_NE(error.find("out of range"), std::string::npos);
}

TEST(PluginConfig, FlagsWinOverTheFileAndBadValuesSayWhatIsExpected) {
  PluginConfig config;
  std::string error;
  bool help = false;
  std::vector<std::string> args = {"vslice-device-plugin", "--split-count", "7", "--node-name", "n"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ASSERT_TRUE(LoadPluginConfig(static_cast<int>(argv.size()), argv.data(), &config, &error, &help)) << error;
  EXPECT_EQ(config.split_count, 7);
  EXPECT_EQ(config.PluginSocket(), "/var/lib/kubelet/device-plugins/vslice-nvidia.sock");
  EXPECT_EQ(config.KubeletSocket(), "/var/lib/kubelet/device-plugins/kubelet.sock");
  args = {"vslice-device-plugin", "--split-count", "0", "--node-name", "n"};
  argv.clear();
  for (std::string& a : args) argv.push_back(a.data());
  EXPECT_FALSE(LoadPluginConfig(static_cast<int>(argv.size()), argv.data(), &config, &error, &help));
  EXPECT_EQ(error, "--split-count=\"0\" is not a whole number in 1..1000");
}

TEST(ContainerRecords, FoldersOfPodsNotLiveAreStale) {
  const std::vector<ContainerRecord> records = {{"/v/containers/u1_a", "", "", "u1", "a", "", {}},
                                                {"/v/containers/u2_a", "", "", "u2", "a", "", {}}};
  EXPECT_EQ(StaleFolders(records, {"u1"}), (std::vector<std::string>{"/v/containers/u2_a"}));
  EXPECT_TRUE(StaleFolders(records, {"u1", "u2"}).empty());
}

TEST(NodeMetrics, QuotaWithoutARegionYetAndThePluginsHealth) {
  PluginStats stats;
  stats.allocations = 3;
  stats.kubelet_registered = true;
  ContainerUsage usage;
  usage.record = {"/f", "ns", "pod", "u", "ctr", "/f/r.cache", {{"GPU-1", "NVIDIA", 1000, 0}}};
  const std::string page = RenderNodeMetrics("n1", {{"GPU-1", 0, "NVIDIA A10", 1, 0, false}}, stats, {usage});
  EXPECT_NE(page.find("hami_vgpu_memory_limit_bytes{namespace=\"ns\",pod=\"pod\",container=\"ctr\",vdevice_index=\"0\","
                      "device_uuid=\"GPU-1\"} 1048576000\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("hami_vgpu_memory_used_bytes{namespace=\"ns\",pod=\"pod\",container=\"ctr\",vdevice_index=\"0\","
                      "device_uuid=\"GPU-1\"} 0\n"),
            std::string::npos);
  EXPECT_NE(page.find("vslice_device_plugin_device_healthy{node=\"n1\",device_index=\"0\",device_uuid=\"GPU-1\","
                      "device_type=\"NVIDIA A10\"} 0\n"),
            std::string::npos);
  EXPECT_NE(page.find("vslice_device_plugin_allocations_total{node=\"n1\"} 3\n"), std::string::npos);
  EXPECT_NE(page.find("vslice_device_plugin_kubelet_registered{node=\"n1\"} 1\n"), std::string::npos);
}

// The metrics endpoint and `vslice status` both rate a region's counters
// against their last reading. A region made again at the same path (a pod
// of the same name restarted) has counters of its own, even when they have
// already grown past the old ones: no rate from the old reading.
TEST(NodeMetrics, NoRateAcrossARegionMadeAgainAtItsPath) {
  cli::RegionSnapshot before;
  before.created_unix_ns = 1000;
  before.now_mono_ns = 1'000'000'000;
  before.compute_managed = true;
  before.devices.resize(1);
  before.devices[0].device_time_ns = 100'000'000;
  cli::RegionSnapshot after = before;
  after.now_mono_ns = 2'000'000'000;
  after.devices[0].device_time_ns = 400'000'000;

  cli::RegionSnapshot same = after;
  cli::ComputeRates(before, &same);
  EXPECT_NEAR(same.devices[0].share, 0.3, 1e-9);

  cli::RegionSnapshot remade = after;
  remade.created_unix_ns = 2000;
  cli::ComputeRates(before, &remade);
  EXPECT_EQ(remade.devices[0].share, -1) << "rated against another region's counters";
  EXPECT_EQ(remade.interval_ns, 0u);
}

}  // namespace
}  // namespace vslice::dp
