// NodeRegistry: the pods of a node, and which of them holds each device
// (core/admission.h).
//
// Each pod's limiter joins the registry with one entry (its name, its
// weight, cap, demand and virtual time per device) and keeps an
// open-file-description lock on the entry's byte for as long as it lives, so
// a dead limiter's entry and any device it held are recognised as dead.
// Devices are known by UUID, since pods number them differently.
#ifndef VSLICE_CORE_NODE_REGISTRY_H_
#define VSLICE_CORE_NODE_REGISTRY_H_

#include <cstddef>
#include <cstdint>

#include "core/registry_layout.h"

namespace vslice {

class NodeRegistry {
 public:
  NodeRegistry() = default;
  ~NodeRegistry();
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;

  // Maps (creating if needed) the registry at `path`.
  bool Open(const char* path, char* error, std::size_t error_size);
  // Maps the registry at `path` only if it exists (a pod's processes, which
  // never create it).
  bool OpenExisting(const char* path, char* error, std::size_t error_size);
  // The mapped file's identity (st_dev, st_ino); false when not open.
  bool Identity(std::uint64_t* dev, std::uint64_t* ino) const;
  void Close();
  bool is_open() const { return layout_ != nullptr; }
  // Checks a mapped file of `size` bytes as PodRegion::Validate does: a
  // misaligned buffer is refused, not read.
  static bool Validate(const void* data, std::size_t size, char* error, std::size_t error_size);

  // Claims an entry for this pod, named `name`, and holds its lock. Entries
  // of dead limiters are reclaimed. Returns the entry index or -1 when full.
  int Join(const char* name);
  // Gives the entry up (orderly exit): hands on the devices it holds.
  void Leave(int pod);
  // Frees the entries of limiters that died (their lock is free), so that
  // the node's views stop listing pods that are gone; Join would reuse such
  // an entry anyway, this only does it sooner. Returns how many were freed.
  // Safe beside live limiters: an entry is touched only while this process
  // holds its lock, which a joining limiter then skips.
  int FreeDeadEntries();

  // The registry index of the device with `uuid`, adding it if new; -1 full.
  int DeviceIndex(const std::uint8_t (&uuid)[16]);

  // True while the limiter of entry `pod` lives.
  bool PodAlive(int pod) const;

  RegistryLayout* layout() { return layout_; }
  const RegistryLayout* layout() const { return layout_; }

 private:
  bool Map(const char* path, bool create, char* error, std::size_t error_size);

  RegistryLayout* layout_ = nullptr;
  int fd_ = -1;
};

}  // namespace vslice

#endif  // VSLICE_CORE_NODE_REGISTRY_H_
