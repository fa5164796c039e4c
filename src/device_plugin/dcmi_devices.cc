#include "device_plugin/dcmi_devices.h"

#include <dlfcn.h>

#include <cstdio>
#include <thread>

#include "ascend/dcmi_abi.h"
#include "device_plugin/dcmi_chip_abi.h"

namespace vslice::dp {
namespace {

using DcmiChipInfo = dcmi_chip_info;
using DcmiDieId = dcmi_die_id;
constexpr int kVdie = vslice::ascend::kDcmiVdie;

class Dcmi final : public DeviceSource {
 public:
  bool Load(std::string* error) {
    handle_ = dlopen("libdcmi.so", RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      *error = std::string("cannot load DCMI (libdcmi.so): ") + dlerror() +
               "; is the Ascend driver installed and mounted into the plugin's container?";
      return false;
    }
    init_ = reinterpret_cast<int (*)()>(dlsym(handle_, "dcmi_init"));
    cards_ = reinterpret_cast<int (*)(int*, int*, int)>(dlsym(handle_, "dcmi_get_card_num_list"));
    logic_ = reinterpret_cast<int (*)(int*, int, int)>(dlsym(handle_, "dcmi_get_device_logic_id"));
    hbm_ = reinterpret_cast<int (*)(int, int, dcmi_hbm_info*)>(dlsym(handle_, "dcmi_get_device_hbm_info"));
    chip_ = reinterpret_cast<int (*)(int, int, DcmiChipInfo*)>(dlsym(handle_, "dcmi_get_device_chip_info"));
    die_ = reinterpret_cast<int (*)(int, int, int, DcmiDieId*)>(dlsym(handle_, "dcmi_get_device_die_v2"));
    if (init_ == nullptr || cards_ == nullptr || hbm_ == nullptr) {
      *error = "libdcmi.so lacks dcmi_init, dcmi_get_card_num_list or dcmi_get_device_hbm_info";
      return false;
    }
    if (const int r = init_(); r != vslice::ascend::DCMI_OK) {
      *error = "dcmi_init failed: " + std::to_string(r);
      return false;
    }
    return true;
  }

  bool Discover(std::vector<PhysicalDevice>* devices, std::string* error) override {
    devices->clear();
    int count = 0;
    int cards[64] = {};
    if (const int r = cards_(&count, cards, 64); r != vslice::ascend::DCMI_OK) {
      *error = "dcmi_get_card_num_list failed: " + std::to_string(r);
      return false;
    }
    const std::string model = "Ascend" + ChipName();  // one kind of chip per node
    for (int i = 0; i < count; ++i) {
      const int card = cards[i];
      const int chip = 0;  // one chip per card for the chips HAMi shares
      dcmi_hbm_info hbm{};
      if (hbm_(card, chip, &hbm) != vslice::ascend::DCMI_OK) continue;  // gone
      PhysicalDevice d;
      int logic = i;
      if (logic_ != nullptr && logic_(&logic, card, chip) != vslice::ascend::DCMI_OK) logic = i;
      d.index = logic;
      d.memory_bytes = hbm.memory_size << 20;
      d.uuid = Uuid(card, chip);
      d.model = model;
      devices->push_back(d);
    }
    return true;
  }

  void WaitEvents(int timeout_ms, std::vector<HealthEvent>*) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
  }

  std::string ChipName() override {
    if (chip_ == nullptr) return "";
    int count = 0;
    int cards[64] = {};
    if (cards_(&count, cards, 64) != vslice::ascend::DCMI_OK || count == 0) return "";
    DcmiChipInfo info{};
    if (chip_(cards[0], 0, &info) != vslice::ascend::DCMI_OK) return "";
    info.chip_name[31] = 0;
    return reinterpret_cast<const char*>(info.chip_name);
  }

 private:
  // The chip's virtual die id in hex; a card/chip name where DCMI has none.
  std::string Uuid(int card, int chip) {
    DcmiDieId die{};
    if (die_ != nullptr && die_(card, chip, kVdie, &die) == vslice::ascend::DCMI_OK) {
      char text[64];
      std::snprintf(text, sizeof text, "%08X-%08X-%08X-%08X-%08X", die.soc_die[0], die.soc_die[1],
                    die.soc_die[2], die.soc_die[3], die.soc_die[4]);
      return text;
    }
    return "NPU-" + std::to_string(card) + "-" + std::to_string(chip);
  }

  void* handle_ = nullptr;
  int (*init_)() = nullptr;
  int (*cards_)(int*, int*, int) = nullptr;
  int (*logic_)(int*, int, int) = nullptr;
  int (*hbm_)(int, int, dcmi_hbm_info*) = nullptr;
  int (*chip_)(int, int, DcmiChipInfo*) = nullptr;
  int (*die_)(int, int, int, DcmiDieId*) = nullptr;
};

}  // namespace

std::unique_ptr<DeviceSource> OpenDcmi(std::string* error) {
  auto dcmi = std::make_unique<Dcmi>();
  if (!dcmi->Load(error)) return nullptr;
  return dcmi;
}

}  // namespace vslice::dp
