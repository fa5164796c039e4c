#include "core/shared_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace vslice {
namespace {

struct flock ByteLock(short type, std::uint64_t offset) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(offset);
  fl.l_len = 1;
  fl.l_pid = 0;  // required by the open-file-description lock commands
  return fl;
}

// Maps an open, flock'ed file; false with `error` set.
bool MapLocked(int fd, const char* path, const SharedFileFormat& format, bool create,
               const void* init_context, void** map_out, char* error, std::size_t error_size) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    std::snprintf(error, error_size, "cannot read %s file %s: %s", format.what, path,
                  std::strerror(errno));
    return false;
  }
  const bool fresh = create && st.st_size == 0;
  if (fresh) {
    if (ftruncate(fd, static_cast<off_t>(format.bytes)) != 0) {
      std::snprintf(error, error_size, "cannot size %s file %s: %s", format.what, path,
                    std::strerror(errno));
      return false;
    }
    fchmod(fd, 0666);  // every user of the pod or node shares it; best effort
  } else if (static_cast<std::size_t>(st.st_size) != format.bytes) {
    std::snprintf(error, error_size,
                  "%s file %s has %lld bytes, expected %zu: it is not a vslice %s of this "
                  "version (remove it, or use another path)",
                  format.what, path, static_cast<long long>(st.st_size), format.bytes,
                  format.what);
    return false;
  }
  void* map = mmap(nullptr, format.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    std::snprintf(error, error_size, "cannot map %s file %s: %s", format.what, path,
                  std::strerror(errno));
    return false;
  }
  if (fresh) format.initialise(map, init_context);
  char why[256];
  if (!format.validate(map, format.bytes, why, sizeof why)) {
    std::snprintf(error, error_size, "%s file %s: %s", format.what, path, why);
    munmap(map, format.bytes);
    return false;
  }
  *map_out = map;
  return true;
}

}  // namespace

bool MapSharedFile(const char* path, const SharedFileFormat& format, bool create,
                   const void* init_context, int* fd_out, void** map_out, char* error,
                   std::size_t error_size) {
  char ignored[8];
  if (error == nullptr || error_size == 0) {
    error = ignored;
    error_size = sizeof ignored;
  }
  const int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0666);
  if (fd < 0) {
    std::snprintf(error, error_size, "cannot open %s file %s: %s", format.what, path,
                  std::strerror(errno));
    return false;
  }
  // Initialisation is serialised by flock, which the kernel drops if the
  // initialising process dies; everything after it is lock-free.
  if (flock(fd, create ? LOCK_EX : LOCK_SH) != 0) {
    std::snprintf(error, error_size, "cannot lock %s file %s: %s", format.what, path,
                  std::strerror(errno));
    close(fd);
    return false;
  }
  const bool ok = MapLocked(fd, path, format, create, init_context, map_out, error, error_size);
  flock(fd, LOCK_UN);
  if (!ok) {
    close(fd);
    return false;
  }
  *fd_out = fd;
  return true;
}

bool TryLockByte(int fd, std::uint64_t offset) {
  struct flock fl = ByteLock(F_WRLCK, offset);
  return fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

void UnlockByte(int fd, std::uint64_t offset) {
  struct flock fl = ByteLock(F_UNLCK, offset);
  fcntl(fd, F_OFD_SETLK, &fl);
}

bool ByteHeldElsewhere(int fd, std::uint64_t offset) {
  struct flock fl = ByteLock(F_WRLCK, offset);
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return true;  // cannot tell: assume held
  return fl.l_type != F_UNLCK;
}

}  // namespace vslice
