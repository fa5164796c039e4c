#include "device_plugin/plugin_server.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device_plugin/allocation.h"
#include "device_plugin/log.h"
#include "deviceplugin_v1beta1.grpc.pb.h"

namespace vslice::dp {

namespace {

constexpr char kHealthy[] = "Healthy";
constexpr char kUnhealthy[] = "Unhealthy";

ino_t InodeOf(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

void FillDevices(const std::vector<PhysicalDevice>& devices, int split,
                 v1beta1::ListAndWatchResponse* out) {
  for (const KubeletDevice& d : KubeletDevices(devices, split)) {
    v1beta1::Device* dev = out->add_devices();
    dev->set_id(d.id);
    dev->set_health(d.healthy ? kHealthy : kUnhealthy);
    if (d.numa >= 0) dev->mutable_topology()->add_nodes()->set_id(d.numa);
  }
}

}  // namespace

class PluginService final : public v1beta1::DevicePlugin::Service {
 public:
  PluginService(const PluginConfig& config, const DeviceState& state, Allocator& allocator)
      : config_(config), state_(state), allocator_(allocator) {}

  void Shutdown() {
    stopping_ = true;
    state_.Wake();
  }

  grpc::Status GetDevicePluginOptions(grpc::ServerContext*, const v1beta1::Empty*,
                                      v1beta1::DevicePluginOptions* out) override {
    out->set_pre_start_required(false);
    out->set_get_preferred_allocation_available(true);
    return grpc::Status::OK;
  }

  grpc::Status ListAndWatch(grpc::ServerContext* context, const v1beta1::Empty*,
                            grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer) override {
    std::uint64_t sent = 0;
    while (!stopping_ && !context->IsCancelled()) {
      const std::uint64_t version = state_.version();
      if (version != sent) {
        v1beta1::ListAndWatchResponse response;
        FillDevices(state_.devices(), config_.split_count, &response);
        if (!writer->Write(response)) break;
        LogInfo("ListAndWatch: sent %d device(s) (list version %llu)", response.devices_size(),
                static_cast<unsigned long long>(version));
        sent = version;
      }
      state_.WaitChange(sent, std::chrono::milliseconds(500));
    }
    return grpc::Status::OK;
  }

  grpc::Status GetPreferredAllocation(grpc::ServerContext*, const v1beta1::PreferredAllocationRequest* in,
                                      v1beta1::PreferredAllocationResponse* out) override {
    std::vector<Allocator::PreferredRequest> requests;
    for (const auto& r : in->container_requests()) {
      requests.push_back({{r.available_deviceids().begin(), r.available_deviceids().end()},
                          {r.must_include_deviceids().begin(), r.must_include_deviceids().end()},
                          r.allocation_size()});
    }
    const std::vector<std::vector<std::string>> chosen = allocator_.Preferred(requests);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      auto* c = out->add_container_responses();
      for (const std::string& id : chosen[i]) c->add_deviceids(id);
    }
    return grpc::Status::OK;
  }

  grpc::Status Allocate(grpc::ServerContext*, const v1beta1::AllocateRequest* in,
                        v1beta1::AllocateResponse* out) override {
    std::vector<std::vector<std::string>> requests;
    for (const auto& r : in->container_requests()) {
      requests.emplace_back(r.devices_ids().begin(), r.devices_ids().end());
    }
    std::vector<ContainerResponse> responses;
    std::string error;
    if (!allocator_.Allocate(requests, &responses, &error)) {
      return grpc::Status(grpc::StatusCode::UNKNOWN, error);
    }
    for (const ContainerResponse& r : responses) {
      auto* c = out->add_container_responses();
      for (const auto& [k, v] : r.envs) (*c->mutable_envs())[k] = v;
      for (const Mount& m : r.mounts) {
        auto* mount = c->add_mounts();
        mount->set_container_path(m.container_path);
        mount->set_host_path(m.host_path);
        mount->set_read_only(m.read_only);
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status PreStartContainer(grpc::ServerContext*, const v1beta1::PreStartContainerRequest*,
                                 v1beta1::PreStartContainerResponse*) override {
    return grpc::Status::OK;
  }

 private:
  const PluginConfig& config_;
  const DeviceState& state_;
  Allocator& allocator_;
  std::atomic<bool> stopping_{false};
};

PluginServer::PluginServer(const PluginConfig& config, const DeviceState& state, Allocator& allocator)
    : config_(config), state_(state), allocator_(allocator) {}

PluginServer::~PluginServer() { Stop(); }

bool PluginServer::Start(std::string* error) {
  const std::string socket = config_.PluginSocket();
  unlink(socket.c_str());
  service_ = std::make_unique<PluginService>(config_, state_, allocator_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_) {
    *error = "cannot serve on " + socket + " (is " + config_.plugin_dir + " writable?)";
    return false;
  }
  socket_inode_ = InodeOf(socket);
  return true;
}

bool PluginServer::Register(std::string* error) {
  const std::string kubelet = config_.KubeletSocket();
  auto channel = grpc::CreateChannel("unix://" + kubelet, grpc::InsecureChannelCredentials());
  auto stub = v1beta1::Registration::NewStub(channel);
  v1beta1::RegisterRequest request;
  request.set_version("v1beta1");
  request.set_endpoint(config_.names.socket_name);
  request.set_resource_name(config_.names.resource_count);
  request.mutable_options()->set_get_preferred_allocation_available(true);
  v1beta1::Empty reply;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const ino_t inode = InodeOf(kubelet);
  const grpc::Status status = stub->Register(&context, request, &reply);
  if (!status.ok()) {
    *error = "registering " + config_.names.resource_count + " with kubelet at " + kubelet + ": " +
             status.error_message();
    return false;
  }
  kubelet_inode_ = inode;
  return true;
}

bool PluginServer::StillRegistered() const {
  return server_ != nullptr && socket_inode_ != 0 && InodeOf(config_.PluginSocket()) == socket_inode_ &&
         kubelet_inode_ != 0 && InodeOf(config_.KubeletSocket()) == kubelet_inode_;
}

void PluginServer::Stop() {
  if (server_) {
    service_->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
    server_.reset();
    if (InodeOf(config_.PluginSocket()) == socket_inode_) unlink(config_.PluginSocket().c_str());
  }
  service_.reset();
  socket_inode_ = 0;
  kubelet_inode_ = 0;
}

}  // namespace vslice::dp
