// Fixed-size files shared by processes through mmap (the pod region, the
// node registry), and the byte locks that tell whether their users live.
#ifndef VSLICE_CORE_SHARED_FILE_H_
#define VSLICE_CORE_SHARED_FILE_H_

#include <cstddef>
#include <cstdint>

namespace vslice {

struct SharedFileFormat {
  const char* what;   // "region", "registry": for messages
  std::size_t bytes;  // the exact file size
  // Fills a new, zeroed mapping; the magic number must be written last.
  void (*initialise)(void* map, const void* context);
  // Checks a mapping; explains in `error` what is wrong.
  bool (*validate)(const void* map, std::size_t size, char* error, std::size_t error_size);
};

// Maps the file at `path` read-write. With `create`, an absent or empty file
// is created and initialised (under flock, so concurrent openers wait for the
// first); without it the file must exist. Every file is validated. Returns
// the open descriptor (close-on-exec) and the mapping, or false with a
// message naming the path in `error`.
bool MapSharedFile(const char* path, const SharedFileFormat& format, bool create,
                   const void* init_context, int* fd, void** map, char* error,
                   std::size_t error_size);

// Open-file-description locks on single bytes: held until released or until
// the last descriptor of the description closes, which the kernel does when
// the process dies, however it dies.
bool TryLockByte(int fd, std::uint64_t offset);
void UnlockByte(int fd, std::uint64_t offset);
// True when an open file description other than `fd`'s holds the byte
// (or when that cannot be told).
bool ByteHeldElsewhere(int fd, std::uint64_t offset);

}  // namespace vslice

#endif  // VSLICE_CORE_SHARED_FILE_H_
