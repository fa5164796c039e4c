// Helpers shared by the fuzz targets that open region and registry files.
#ifndef VSLICE_TESTS_FUZZ_FUZZ_SHARED_FILE_H_
#define VSLICE_TESTS_FUZZ_FUZZ_SHARED_FILE_H_

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace vslice::fuzz {

// A scratch file of this process, on tmpfs when there is one.
inline std::string ScratchPath(const char* what) {
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/vslice-fuzz-" + what + "-" + std::to_string(getpid());
}

inline void WriteAll(const std::string& path, const void* data, std::size_t size) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n <= 0) std::abort();
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  close(fd);
}

// The input copied to storage aligned as a mapped file is, so that
// Validate reads the bytes instead of refusing their address.
class AlignedCopy {
 public:
  AlignedCopy(const std::uint8_t* data, std::size_t size)
      : bytes_(static_cast<std::uint8_t*>(::operator new(size + 1, std::align_val_t{4096}))),
        size_(size) {
    std::memcpy(bytes_, data, size);
  }
  ~AlignedCopy() { ::operator delete(bytes_, std::align_val_t{4096}); }
  AlignedCopy(const AlignedCopy&) = delete;
  AlignedCopy& operator=(const AlignedCopy&) = delete;
  const std::uint8_t* data() const { return bytes_; }
  std::size_t size() const { return size_; }

 private:
  std::uint8_t* bytes_;
  std::size_t size_;
};

[[noreturn]] inline void Fail(const char* target, const char* what) {
  std::fprintf(stderr, "%s: %s\n", target, what);
  std::abort();
}

// A Validate function of a shared file (PodRegion::Validate,
// NodeRegistry::Validate) on the fuzzer's bytes as they lie (one byte into
// the input, so misaligned: it must refuse them by their address) and on an
// aligned copy (read for real); a refusal must always say why.
using ValidateFn = bool (*)(const void* data, std::size_t size, char* error,
                            std::size_t error_size);
inline void CheckValidate(const char* target, ValidateFn validate, std::size_t alignment,
                          const std::uint8_t* data, std::size_t size) {
  char error[512] = {};
  const bool misaligned = reinterpret_cast<std::uintptr_t>(data) % alignment != 0;
  if (validate(data, size, error, sizeof error)) {
    if (misaligned) Fail(target, "Validate accepted a misaligned buffer");
  } else if (error[0] == '\0') {
    Fail(target, "Validate refused without saying why");
  }
  const AlignedCopy aligned(data, size);
  error[0] = '\0';
  if (!validate(aligned.data(), aligned.size(), error, sizeof error) && error[0] == '\0') {
    Fail(target, "Validate refused without saying why");
  }
}

// Reads patches from the fuzzer's input: each is a 4-byte offset, a 1-byte
// length and that many bytes, applied to `file` (of `size` bytes) at
// offset % size. Returns false when the input is used up.
class Patches {
 public:
  Patches(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool ApplyOne(std::uint8_t* file, std::size_t file_size) {
    if (at_ + 5 > size_) return false;
    std::uint32_t offset;
    std::memcpy(&offset, data_ + at_, 4);
    std::size_t length = data_[at_ + 4];
    at_ += 5;
    if (length > size_ - at_) length = size_ - at_;
    const std::size_t where = offset % file_size;
    if (length > file_size - where) length = file_size - where;
    std::memcpy(file + where, data_ + at_, length);
    at_ += length;
    return true;
  }
  // The next input byte (0 once used up), for choices.
  std::uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint64_t Word() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | Byte();
    return v;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

// The file the mode byte asks for (modes as in the targets' comments):
// 0 the input itself, 1 `valid` with the input's patches, 2 the same cut or
// extended to a length the input chooses, 3 empty (a file being created).
inline std::vector<std::uint8_t> FileForMode(std::uint8_t mode, const std::uint8_t* data,
                                             std::size_t size,
                                             const std::vector<std::uint8_t>& valid,
                                             Patches& input) {
  std::vector<std::uint8_t> file;
  switch (mode % 4) {
    case 0:
      file.assign(data, data + size);
      break;
    case 1:
    case 2:
      file = valid;
      for (int i = 0; i < 16 && input.ApplyOne(file.data(), file.size()); ++i) {
      }
      if (mode % 4 == 2) file.resize(input.Word() % (2 * valid.size()));
      break;
    default:
      break;  // empty
  }
  return file;
}

// A refusal of CheckRegionValues or CheckRegistryValues (core/layout_checks.h)
// is one printable line; readers print it after the file's name.
inline void CheckRefusalLine(const char* target, const char* error) {
  if (error[0] == '\0') Fail(target, "a values check refused without saying why");
  if (std::strstr(error, " is ") == nullptr) Fail(target, "a values check refusal names no field");
  for (const char* c = error; *c != '\0'; ++c) {
    if (*c < 0x20 || *c > 0x7e) Fail(target, "a values check refusal holds an unprintable byte");
  }
}

// Garbage from the input behind the header of a file just created (mode 3).
inline void PatchBehindHeader(Patches& input, void* layout, std::size_t bytes,
                              std::size_t header_bytes) {
  auto* behind = static_cast<std::uint8_t*>(layout) + header_bytes;
  for (int i = 0; i < 16 && input.ApplyOne(behind, bytes - header_bytes); ++i) {
  }
}

}  // namespace vslice::fuzz

#endif  // VSLICE_TESTS_FUZZ_FUZZ_SHARED_FILE_H_
