// The gRPC side: the DevicePlugin service on the plugin's unix socket and
// the registration with kubelet. Converts between the v1beta1 messages and
// the plain types; Allocator and DeviceState decide.
#ifndef VSLICE_DEVICE_PLUGIN_PLUGIN_SERVER_H_
#define VSLICE_DEVICE_PLUGIN_PLUGIN_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

#include "device_plugin/allocator.h"
#include "device_plugin/device_state.h"
#include "device_plugin/plugin_config.h"

namespace grpc {
class Server;
}

namespace vslice::dp {

class PluginService;

class PluginServer {
 public:
  PluginServer(const PluginConfig& config, const DeviceState& state, Allocator& allocator);
  ~PluginServer();

  // Serves on <plugin_dir>/<socket> (replacing a stale socket file).
  bool Start(std::string* error);
  // Registers with kubelet (Registration.Register on kubelet.sock).
  bool Register(std::string* error);
  // Stops serving: open ListAndWatch streams end; removes the socket.
  void Stop();

  // True while our socket file is the one we created and kubelet's is the
  // one we registered with: kubelet removes plugin sockets when it restarts
  // and creates a new kubelet.sock, and then wants every plugin to register
  // again.
  bool StillRegistered() const;

 private:
  const PluginConfig& config_;
  const DeviceState& state_;
  Allocator& allocator_;
  std::unique_ptr<PluginService> service_;
  std::unique_ptr<grpc::Server> server_;
  ino_t socket_inode_ = 0;
  ino_t kubelet_inode_ = 0;
};

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_PLUGIN_SERVER_H_
