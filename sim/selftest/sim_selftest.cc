// Self-test of the simulated device (libcuda.so.1 + libnvidia-ml.so.1).
//
// Runs against the simulated libraries it is linked with, in a private state
// file, and re-executes itself (fork + exec) for the multi-process checks:
//   sim_selftest                     run every check (exit 0 when all pass)
//   sim_selftest child-hold BYTES    allocate BYTES on device 0, print
//                                    "ready <code>", wait for stdin to close
//   sim_selftest child-busy N        launch N kernels, print "launched T" (T:
//                                    CLOCK_MONOTONIC ns before the first), sync
//   sim_selftest child-ctx           retain a primary context, print "ready",
//                                    wait for stdin to close, exit normally
//   sim_selftest child-init          print "init <cuInit> nvml <nvmlInit>
//                                    total <bytes>"
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/sim_config.h"
#include "cuda/sim_cuda_exports.h"
#include "nvml/sim_nvml_exports.h"

extern char** environ;

namespace {

using namespace vslice::cuda;  // NOLINT
using namespace vslice::nvml;  // NOLINT

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

int g_checks = 0;
int g_failures = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    ++g_checks;                                                                  \
    if (!(cond)) {                                                               \
      ++g_failures;                                                              \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                            \
  } while (0)

#define CHECK_EQ(a, b)                                                           \
  do {                                                                           \
    ++g_checks;                                                                  \
    const auto va_ = (a);                                                        \
    const auto vb_ = (b);                                                        \
    if (!(va_ == vb_)) {                                                         \
      ++g_failures;                                                              \
      std::fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", __FILE__, \
                   __LINE__, #a, #b, static_cast<long long>(va_),               \
                   static_cast<long long>(vb_));                                 \
    }                                                                            \
  } while (0)

#define CU(expr) CHECK_EQ((expr), CUDA_SUCCESS)

std::uint64_t MonoNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ---- helpers over the simulated APIs ----

std::uint64_t NvmlUsed(int index) {
  nvmlDevice_t d = nullptr;
  if (nvmlDeviceGetHandleByIndex_v2(static_cast<unsigned>(index), &d) != NVML_SUCCESS) return ~0ull;
  nvmlMemory_t m{};
  if (nvmlDeviceGetMemoryInfo(d, &m) != NVML_SUCCESS) return ~0ull;
  return m.used;
}

std::uint64_t CudaFree() {
  std::size_t free = 0, total = 0;
  if (cuMemGetInfo_v2(&free, &total) != CUDA_SUCCESS) return ~0ull;
  return free;
}

std::vector<nvmlProcessInfo_v2_t> NvmlProcesses(int index) {
  nvmlDevice_t d = nullptr;
  nvmlDeviceGetHandleByIndex_v2(static_cast<unsigned>(index), &d);
  std::vector<nvmlProcessInfo_v2_t> infos(64);
  unsigned count = static_cast<unsigned>(infos.size());
  if (nvmlDeviceGetComputeRunningProcesses_v3(d, &count, infos.data()) != NVML_SUCCESS) return {};
  infos.resize(count);
  return infos;
}

std::uint64_t NvmlProcessBytes(int index, pid_t pid) {
  for (const auto& p : NvmlProcesses(index)) {
    if (static_cast<pid_t>(p.pid) == pid) return p.usedGpuMemory;
  }
  return ~0ull;  // not listed
}

// ---- child processes ----

struct Child {
  pid_t pid = -1;
  int out = -1;  // child's stdout
  int in = -1;   // child's stdin
};

std::string g_self;
std::string g_dir;

Child Spawn(const std::vector<std::string>& args,
            const std::vector<std::pair<std::string, std::string>>& env,
            const std::string& stderr_file = "") {
  // Build argv and envp before fork: the child only calls async-signal-safe
  // functions until exec.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    bool overridden = false;
    for (const auto& [k, v] : env) overridden |= kv.rfind(k + "=", 0) == 0;
    if (!overridden) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {g_self};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0) std::abort();
  int err_fd = -1;
  if (!stderr_file.empty()) {
    err_fd = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(in_pipe[0], 0);
    if (err_fd >= 0) dup2(err_fd, 2);
    execve(g_self.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(in_pipe[0]);
  if (err_fd >= 0) close(err_fd);
  c.out = out_pipe[0];
  c.in = in_pipe[1];
  return c;
}

std::string ReadLine(int fd, int timeout_ms = 20000) {
  std::string line;
  char ch = 0;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) break;
    if (read(fd, &ch, 1) != 1 || ch == '\n') break;
    line += ch;
  }
  return line;
}

int Finish(Child& c) {
  if (c.in >= 0) close(c.in);
  c.in = -1;
  int status = 0;
  waitpid(c.pid, &status, 0);
  if (c.out >= 0) close(c.out);
  c.out = -1;
  return status;
}

std::string ReadFile(const std::string& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  return text;
}

// ---- child modes ----

CUcontext SetupContext(int device) {
  CUcontext ctx = nullptr;
  if (cuInit(0) != CUDA_SUCCESS) return nullptr;
  if (cuDevicePrimaryCtxRetain(&ctx, device) != CUDA_SUCCESS) return nullptr;
  cuCtxSetCurrent(ctx);
  return ctx;
}

void WaitForStdinClose() {
  char buf[64];
  while (read(0, buf, sizeof(buf)) > 0) {
  }
}

int ChildHold(std::uint64_t bytes) {
  if (SetupContext(0) == nullptr) return 2;
  CUdeviceptr p = 0;
  const CUresult r = cuMemAlloc_v2(&p, bytes);
  std::printf("ready %d\n", r);
  std::fflush(stdout);
  WaitForStdinClose();
  return 0;
}

int ChildBusy(int kernels) {
  if (SetupContext(0) == nullptr) return 2;
  CUmodule m = nullptr;
  CUfunction f = nullptr;
  cuModuleLoadData(&m, "image");
  cuModuleGetFunction(&f, m, "kernel");
  const std::uint64_t start = MonoNs();
  for (int i = 0; i < kernels; ++i) {
    if (cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, nullptr, nullptr, nullptr) != CUDA_SUCCESS) {
      return 3;
    }
  }
  std::printf("launched %llu\n", static_cast<unsigned long long>(start));
  std::fflush(stdout);
  cuCtxSynchronize();
  return 0;
}

int ChildCtx() {
  if (SetupContext(0) == nullptr) return 2;
  std::printf("ready\n");
  std::fflush(stdout);
  WaitForStdinClose();
  return 0;  // exits with the context still retained: the exit frees it
}

int ChildInit() {
  const CUresult r = cuInit(0);
  const nvmlReturn_t n = nvmlInit_v2();
  std::size_t total = 0;
  if (r == CUDA_SUCCESS) cuDeviceTotalMem_v2(&total, 0);
  std::printf("init %d nvml %d total %zu\n", r, n, total);
  std::fflush(stdout);
  return 0;
}

// ---- export table checks ----

std::vector<std::string> DefinedDynamicSymbols(const std::string& path) {
  std::vector<std::string> names;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return names;
  struct stat st {};
  fstat(fd, &st);
  void* map = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return names;
  const auto* base = static_cast<const unsigned char*>(map);
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_DYNSYM) continue;
    const auto* syms = reinterpret_cast<const Elf64_Sym*>(base + sh[i].sh_offset);
    const char* strtab = reinterpret_cast<const char*>(base + sh[sh[i].sh_link].sh_offset);
    const std::size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
    for (std::size_t j = 0; j < n; ++j) {
      const int bind = ELF64_ST_BIND(syms[j].st_info);
      if (syms[j].st_shndx == SHN_UNDEF || syms[j].st_name == 0) continue;
      if (bind != STB_GLOBAL && bind != STB_WEAK) continue;
      names.emplace_back(strtab + syms[j].st_name);
    }
  }
  munmap(map, static_cast<std::size_t>(st.st_size));
  return names;
}

std::string BaseName(std::string name) {
  for (const char* suffix : {"_ptsz", "_ptds"}) {
    const std::size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) name.resize(name.size() - n);
  }
  const std::size_t v = name.rfind("_v");
  if (v != std::string::npos && v + 2 < name.size() &&
      name.find_first_not_of("0123456789", v + 2) == std::string::npos) {
    name.resize(v);
  }
  return name;
}

std::string LibraryPath(void* symbol) {
  Dl_info info{};
  dladdr(symbol, &info);
  return info.dli_fname ? info.dli_fname : "";
}

void CheckProcAddress() {
  void* self = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
  CHECK(self != nullptr);
  auto sym = [self](const char* name) { return dlsym(self, name); };
  const cuuint64_t kPt = CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
  struct Case {
    const char* base;
    int version;
    cuuint64_t flags;
    const char* expect;  // nullptr: not found
    int status;
  };
  const Case cases[] = {
      {"cuMemAlloc", 12000, 0, "cuMemAlloc_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemAlloc", 3000, 0, "cuMemAlloc", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemAlloc", 1000, 0, nullptr, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT},
      {"cuMemGetInfo", 13000, 0, "cuMemGetInfo_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemFree", 3020, 0, "cuMemFree_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuLaunchKernel", 12000, 0, "cuLaunchKernel", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuLaunchKernel", 12000, kPt, "cuLaunchKernel_ptsz", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuLaunchKernel", 6000, kPt, "cuLaunchKernel", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuLaunchKernel", 12000, CU_GET_PROC_ADDRESS_LEGACY_STREAM, "cuLaunchKernel",
       CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemcpyHtoD", 12000, kPt, "cuMemcpyHtoD_v2_ptds", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemcpyHtoD", 12000, 0, "cuMemcpyHtoD_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuCtxCreate", 13000, 0, "cuCtxCreate_v4", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuCtxCreate", 12000, 0, "cuCtxCreate_v3", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuCtxCreate", 11000, 0, "cuCtxCreate_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuCtxDestroy", 4000, 0, "cuCtxDestroy_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuGetProcAddress", 12000, 0, "cuGetProcAddress_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuGetProcAddress", 11030, 0, "cuGetProcAddress", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuDeviceGetUuid", 11040, 0, "cuDeviceGetUuid_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuDeviceGetUuid", 11000, 0, "cuDeviceGetUuid", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuDevicePrimaryCtxRelease", 11000, 0, "cuDevicePrimaryCtxRelease_v2",
       CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuDevicePrimaryCtxReset", 10000, 0, "cuDevicePrimaryCtxReset",
       CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuStreamBeginCapture", 12000, kPt, "cuStreamBeginCapture_v2_ptsz",
       CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuStreamBeginCapture", 10000, 0, "cuStreamBeginCapture", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuEventElapsedTime", 12080, 0, "cuEventElapsedTime_v2", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuEventElapsedTime", 12000, 0, "cuEventElapsedTime", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemAllocAsync", 12000, kPt, "cuMemAllocAsync_ptsz", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemAllocAsync", 11000, 0, nullptr, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT},
      {"cuDeviceGetCount", 12000, kPt, "cuDeviceGetCount", CU_GET_PROC_ADDRESS_SUCCESS},
      {"cuMemAlloc_v2", 12000, 0, nullptr, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND},
      {"cuNoSuchFunction", 12000, 0, nullptr, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND},
  };
  for (const Case& c : cases) {
    void* fn = reinterpret_cast<void*>(0x1);
    int status = -1;
    const CUresult r = cuGetProcAddress_v2(c.base, &fn, c.version, c.flags, &status);
    const bool ok = c.expect ? (r == CUDA_SUCCESS && fn == sym(c.expect))
                             : (r == CUDA_ERROR_NOT_FOUND && fn == nullptr);
    if (!ok || status != c.status) {
      std::fprintf(stderr, "cuGetProcAddress_v2(%s, %d, %llu): result %d status %d\n", c.base,
                   c.version, static_cast<unsigned long long>(c.flags), r, status);
    }
    CHECK(ok);
    CHECK_EQ(status, c.status);
  }
  void* fn = nullptr;
  CHECK_EQ(cuGetProcAddress("cuInit", &fn, 12000, 0), CUDA_SUCCESS);
  CHECK(fn == sym("cuInit"));
  CHECK_EQ(cuGetProcAddress("cuInit", &fn, 12000, 4), CUDA_ERROR_INVALID_VALUE);
  CHECK_EQ(cuGetProcAddress(nullptr, &fn, 12000, 0), CUDA_ERROR_INVALID_VALUE);

  // Every exported variant is reachable through cuGetProcAddress with its
  // base name, and no base name leads to a missing symbol.
  const int versions[] = {2000,  2010,  2020,  3000,  3020,  4000,  4010,  5000,  5050,
                          6000,  7000,  9000,  9020,  10000, 10010, 10020, 11000, 11010,
                          11020, 11030, 11040, 11060, 12000, 12050, 12080, 13000};
  const std::vector<std::string> exports = DefinedDynamicSymbols(LibraryPath(sym("cuInit")));
  CHECK(exports.size() > 100);
  std::set<std::string> bases;
  for (const std::string& name : exports) {
    CHECK(name.rfind("cu", 0) == 0);
    const std::string base = BaseName(name);
    bases.insert(base);
    bool reachable = false;
    for (int v : versions) {
      for (cuuint64_t flags : {cuuint64_t{0}, kPt}) {
        void* p = nullptr;
        if (cuGetProcAddress(base.c_str(), &p, v, flags) == CUDA_SUCCESS &&
            p == sym(name.c_str())) {
          reachable = true;
        }
      }
    }
    if (!reachable) std::fprintf(stderr, "export %s not reachable as %s\n", name.c_str(), base.c_str());
    CHECK(reachable);
  }
  for (const std::string& base : bases) {
    for (int v : versions) {
      for (cuuint64_t flags : {cuuint64_t{0}, kPt}) {
        void* p = nullptr;
        int status = -1;
        cuGetProcAddress_v2(base.c_str(), &p, v, flags, &status);
        if (status == CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND) {
          std::fprintf(stderr, "%s@%d resolves to a missing symbol\n", base.c_str(), v);
        }
        CHECK(status != CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
      }
    }
  }
  const std::vector<std::string> nvml_exports =
      DefinedDynamicSymbols(LibraryPath(reinterpret_cast<void*>(&nvmlInit_v2)));
  CHECK(nvml_exports.size() >= 20);
  for (const std::string& name : nvml_exports) CHECK(name.rfind("nvml", 0) == 0);
  std::printf("  exports: libcuda %zu, libnvidia-ml %zu\n", exports.size(), nvml_exports.size());
}

// ---- the checks ----

void CheckParsers() {
  using vslice::sim::ParseByteSize;
  CHECK(ParseByteSize("80g") == 80 * kGiB);
  CHECK(ParseByteSize("1G") == kGiB);
  CHECK(ParseByteSize("512m") == 512 * kMiB);
  CHECK(ParseByteSize("4k") == 4096u);
  CHECK(ParseByteSize("1t") == (1ull << 40));
  CHECK(ParseByteSize("12345") == 12345u);
  for (const char* bad : {"", "g", "12x", "-1", "1.5g", "1 g", "99999999999999999999", "16777216t"}) {
    CHECK(!ParseByteSize(bad).has_value());
  }
}

void CheckBeforeInit() {
  int n = 0;
  CHECK_EQ(cuDeviceGetCount(&n), CUDA_ERROR_NOT_INITIALIZED);
  CUdeviceptr p = 0;
  CHECK_EQ(cuMemAlloc_v2(&p, 16), CUDA_ERROR_NOT_INITIALIZED);
  int version = 0;
  CU(cuDriverGetVersion(&version));
  CHECK_EQ(version, 13000);
  const char* s = nullptr;
  CU(cuGetErrorName(CUDA_ERROR_OUT_OF_MEMORY, &s));
  CHECK(s && std::strcmp(s, "CUDA_ERROR_OUT_OF_MEMORY") == 0);
  CU(cuGetErrorString(CUDA_ERROR_INVALID_VALUE, &s));
  CHECK(s && std::strcmp(s, "invalid argument") == 0);
  CHECK_EQ(cuGetErrorString(12345, &s), CUDA_ERROR_INVALID_VALUE);
  CHECK(s == nullptr);
  CHECK_EQ(cuInit(1), CUDA_ERROR_INVALID_VALUE);
  nvmlDevice_t d = nullptr;
  CHECK_EQ(nvmlDeviceGetHandleByIndex_v2(0, &d), NVML_ERROR_UNINITIALIZED);
}

void CheckDevices() {
  CU(cuInit(0));
  CU(cuInit(0));
  int count = 0;
  CU(cuDeviceGetCount(&count));
  CHECK_EQ(count, 2);
  CUdevice dev = -1;
  CU(cuDeviceGet(&dev, 1));
  CHECK_EQ(dev, 1);
  CHECK_EQ(cuDeviceGet(&dev, 2), CUDA_ERROR_INVALID_DEVICE);
  char name[64];
  CU(cuDeviceGetName(name, sizeof(name), 0));
  CHECK(std::strcmp(name, "vslice simulated GPU") == 0);
  std::size_t total = 0;
  CU(cuDeviceTotalMem_v2(&total, 0));
  CHECK_EQ(total, kGiB);
  unsigned total32 = 0;
  CU(cuDeviceTotalMem(&total32, 1));
  CHECK_EQ(total32, kGiB);
  int v = -1;
  CU(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 0));
  CHECK_EQ(v, 132);
  CU(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0));
  CHECK_EQ(v, 9);
  CU(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0));
  CHECK_EQ(v, 0);
  CU(cuDeviceGetAttribute(&v, 9999, 0));
  CHECK_EQ(v, 0);
  char bus[32];
  CU(cuDeviceGetPCIBusId(bus, sizeof(bus), 1));
  CHECK(std::strcmp(bus, "0000:02:00.0") == 0);
  CU(cuDeviceGetByPCIBusId(&dev, bus));
  CHECK_EQ(dev, 1);

  // cuDeviceGetUuid and nvmlDeviceGetUUID name a device alike.
  CU(nvmlInit_v2());
  unsigned ncount = 0;
  CHECK_EQ(nvmlDeviceGetCount_v2(&ncount), NVML_SUCCESS);
  CHECK_EQ(ncount, 2u);
  for (int i = 0; i < 2; ++i) {
    CUuuid u{}, u1{};
    CU(cuDeviceGetUuid_v2(&u, i));
    CU(cuDeviceGetUuid(&u1, i));
    CHECK(std::memcmp(u.bytes, u1.bytes, 16) == 0);
    CHECK(std::memcmp(u.bytes, "vsliceSIMdev", 12) == 0);
    const auto* b = reinterpret_cast<const unsigned char*>(u.bytes);
    char expect[64];
    std::snprintf(expect, sizeof(expect),
                  "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                  b[12], b[13], b[14], b[15]);
    nvmlDevice_t d = nullptr;
    CHECK_EQ(nvmlDeviceGetHandleByIndex_v2(static_cast<unsigned>(i), &d), NVML_SUCCESS);
    char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    CHECK_EQ(nvmlDeviceGetUUID(d, uuid, sizeof(uuid)), NVML_SUCCESS);
    CHECK(std::strcmp(uuid, expect) == 0);
    CHECK_EQ(nvmlDeviceGetUUID(d, uuid, 10), NVML_ERROR_INSUFFICIENT_SIZE);
    nvmlDevice_t by_uuid = nullptr;
    CHECK_EQ(nvmlDeviceGetHandleByUUID(expect, &by_uuid), NVML_SUCCESS);
    CHECK(by_uuid == d);
    unsigned index = 99;
    CHECK_EQ(nvmlDeviceGetIndex(d, &index), NVML_SUCCESS);
    CHECK_EQ(index, static_cast<unsigned>(i));
    nvmlMemory_v2_t m2{};
    m2.version = 1;
    CHECK_EQ(nvmlDeviceGetMemoryInfo_v2(d, &m2), NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
    m2.version = nvmlMemory_v2;
    CHECK_EQ(nvmlDeviceGetMemoryInfo_v2(d, &m2), NVML_SUCCESS);
    CHECK_EQ(m2.total, kGiB);
    CHECK_EQ(m2.used, 0u);
    CHECK_EQ(m2.free, kGiB);
    CHECK_EQ(m2.reserved, 0u);
  }
  CHECK(std::strcmp(nvmlErrorString(NVML_ERROR_INSUFFICIENT_SIZE), "Insufficient Size") == 0);
  int cuda_version = 0;
  CHECK_EQ(nvmlSystemGetCudaDriverVersion_v2(&cuda_version), NVML_SUCCESS);
  CHECK_EQ(cuda_version, 13000);
}

void CheckMemory() {
  CUdeviceptr p = 0;
  // No current context yet.
  CHECK_EQ(cuMemAlloc_v2(&p, 16), CUDA_ERROR_INVALID_CONTEXT);
  std::size_t f = 0, t = 0;
  CHECK_EQ(cuMemGetInfo_v2(&f, &t), CUDA_ERROR_INVALID_CONTEXT);

  CUcontext ctx = nullptr;
  CU(cuDevicePrimaryCtxRetain(&ctx, 0));
  CU(cuCtxSetCurrent(ctx));
  CUdevice dev = -1;
  CU(cuCtxGetDevice(&dev));
  CHECK_EQ(dev, 0);
  unsigned flags = 0;
  int active = 0;
  CU(cuDevicePrimaryCtxGetState(0, &flags, &active));
  CHECK_EQ(active, 1);

  CHECK_EQ(cuMemAlloc_v2(&p, 0), CUDA_ERROR_INVALID_VALUE);
  CU(cuMemAlloc_v2(&p, 1));  // exact accounting: one byte is one byte
  CHECK_EQ(NvmlUsed(0), 1u);
  CHECK_EQ(CudaFree(), kGiB - 1);
  CU(cuMemFree_v2(p));
  CHECK_EQ(NvmlUsed(0), 0u);

  // Allocate 100 MiB at a time until the 1 GiB device is full.
  std::vector<CUdeviceptr> ptrs;
  CUresult r = CUDA_SUCCESS;
  while (ptrs.size() < 100) {
    r = cuMemAlloc_v2(&p, 100 * kMiB);
    if (r != CUDA_SUCCESS) break;
    ptrs.push_back(p);
  }
  CHECK_EQ(r, CUDA_ERROR_OUT_OF_MEMORY);
  CHECK_EQ(ptrs.size(), 10u);
  for (std::size_t i = 0; i < ptrs.size(); ++i) {
    CHECK_EQ(ptrs[i] % 256, 0u);
    if (i > 0) CHECK(ptrs[i] >= ptrs[i - 1] + 100 * kMiB);
  }
  CU(cuMemGetInfo_v2(&f, &t));
  CHECK_EQ(t, kGiB);
  CHECK_EQ(f, 24 * kMiB);
  CHECK_EQ(NvmlUsed(0), t - f);  // cuMemGetInfo and NVML agree
  CU(cuMemAlloc_v2(&p, 24 * kMiB));
  ptrs.push_back(p);
  CUdeviceptr extra = 0;
  CHECK_EQ(cuMemAlloc_v2(&extra, 1), CUDA_ERROR_OUT_OF_MEMORY);
  CHECK_EQ(CudaFree(), 0u);
  CHECK_EQ(NvmlUsed(0), kGiB);
  CHECK_EQ(NvmlProcessBytes(0, getpid()), kGiB);
  {
    nvmlDevice_t d = nullptr;
    nvmlDeviceGetHandleByIndex_v2(0, &d);
    unsigned count = 0;
    CHECK_EQ(nvmlDeviceGetComputeRunningProcesses_v3(d, &count, nullptr),
             NVML_ERROR_INSUFFICIENT_SIZE);
    CHECK_EQ(count, 1u);
    nvmlProcessInfo_v1_t v1[4];
    count = 4;
    CHECK_EQ(nvmlDeviceGetComputeRunningProcesses(d, &count, v1), NVML_SUCCESS);
    CHECK_EQ(count, 1u);
    CHECK_EQ(v1[0].pid, static_cast<unsigned>(getpid()));
    CHECK_EQ(v1[0].usedGpuMemory, kGiB);
  }
  for (CUdeviceptr q : ptrs) CU(cuMemFree_v2(q));
  CHECK_EQ(cuMemFree_v2(ptrs[0]), CUDA_ERROR_INVALID_VALUE);  // double free
  CHECK_EQ(cuMemFree_v2(0x1234), CUDA_ERROR_INVALID_VALUE);
  CHECK_EQ(NvmlUsed(0), 0u);

  // Pitch: pitch = width rounded up to 512, charged pitch * height.
  std::size_t pitch = 0;
  CU(cuMemAllocPitch_v2(&p, &pitch, 1000, 10, 4));
  CHECK_EQ(pitch, 1024u);
  CHECK_EQ(NvmlUsed(0), 10240u);
  CU(cuMemFree_v2(p));
  CHECK_EQ(cuMemAllocPitch_v2(&p, &pitch, 1000, 10, 3), CUDA_ERROR_INVALID_VALUE);

  // Managed memory is charged to the current device.
  CU(cuMemAllocManaged(&p, 4096, CU_MEM_ATTACH_GLOBAL));
  CHECK_EQ(NvmlUsed(0), 4096u);
  CU(cuMemFree_v2(p));

  // The legacy 32-bit entry points.
  CUdeviceptr_v1 p32 = 0;
  CU(cuMemAlloc(&p32, 1000));
  CHECK(p32 != 0);
  CHECK_EQ(NvmlUsed(0), 1000u);
  unsigned f32 = 0, t32 = 0;
  CU(cuMemGetInfo(&f32, &t32));
  CHECK_EQ(t32, kGiB);
  CHECK_EQ(f32, kGiB - 1000);
  CU(cuMemFree(p32));

  // Address range lookup.
  CU(cuMemAlloc_v2(&p, 5000));
  CUdeviceptr base = 0;
  std::size_t size = 0;
  CU(cuMemGetAddressRange_v2(&base, &size, p + 4999));
  CHECK(base == p);
  CHECK_EQ(size, 5000u);
  CHECK_EQ(cuMemGetAddressRange_v2(&base, &size, p + 5000), CUDA_ERROR_NOT_FOUND);

  // Copies are validated, not performed.
  char host[64] = {};
  CU(cuMemcpyHtoD_v2(p, host, 64));
  CU(cuMemcpyHtoD_v2(p + 4936, host, 64));
  CHECK_EQ(cuMemcpyHtoD_v2(p + 4937, host, 64), CUDA_ERROR_INVALID_VALUE);
  CU(cuMemcpyDtoH_v2(host, p, 64));
  CHECK_EQ(cuMemcpyDtoH_v2(nullptr, p, 64), CUDA_ERROR_INVALID_VALUE);
  CU(cuMemcpyDtoD_v2(p, p + 100, 100));
  CU(cuMemsetD8_v2(p, 0, 5000));
  CHECK_EQ(cuMemsetD8_v2(p, 0, 5001), CUDA_ERROR_INVALID_VALUE);
  CU(cuMemsetD32_v2(p, 0, 1250));
  CU(cuMemcpyAsync(p, reinterpret_cast<CUdeviceptr>(host), 64, nullptr));
  CU(cuMemcpy(reinterpret_cast<CUdeviceptr>(host), p, 64));
  CU(cuMemFree_v2(p));
  CHECK_EQ(cuMemcpyHtoD_v2(p, host, 64), CUDA_ERROR_INVALID_VALUE);  // freed
  CHECK_EQ(cuMemcpyAsync(p, reinterpret_cast<CUdeviceptr>(host), 64, nullptr),
           CUDA_ERROR_INVALID_VALUE);

  // Host memory is not device memory.
  void* h = nullptr;
  CU(cuMemHostAlloc(&h, kMiB, 0));
  CU(cuMemAllocHost_v2(&h, kMiB));
  CHECK_EQ(NvmlUsed(0), 0u);
  CU(cuMemFreeHost(h));
  CHECK_EQ(cuMemFreeHost(h), CUDA_ERROR_INVALID_VALUE);

  // Arrays: width * height * depth * channels * element size.
  CUDA_ARRAY_DESCRIPTOR a2{256, 256, CU_AD_FORMAT_FLOAT, 4};
  CUarray arr = nullptr;
  CU(cuArrayCreate_v2(&arr, &a2));
  CHECK_EQ(NvmlUsed(0), 256u * 256 * 16);
  CU(cuArrayDestroy(arr));
  CHECK_EQ(cuArrayDestroy(arr), CUDA_ERROR_INVALID_HANDLE);
  CUDA_ARRAY3D_DESCRIPTOR a3{64, 64, 64, CU_AD_FORMAT_UNSIGNED_INT8, 1, 0};
  CU(cuArray3DCreate_v2(&arr, &a3));
  CHECK_EQ(NvmlUsed(0), 64u * 64 * 64);
  CU(cuArrayDestroy(arr));
  CUDA_ARRAY3D_DESCRIPTOR mip{256, 256, 0, CU_AD_FORMAT_UNSIGNED_INT8, 4, 0};
  CUmipmappedArray mm = nullptr;
  CU(cuMipmappedArrayCreate(&mm, &mip, 9));
  CHECK_EQ(NvmlUsed(0), 4u * (65536 + 16384 + 4096 + 1024 + 256 + 64 + 16 + 4 + 1));
  CU(cuMipmappedArrayDestroy(mm));
  CUDA_ARRAY_DESCRIPTOR bad{0, 1, CU_AD_FORMAT_FLOAT, 1};
  CHECK_EQ(cuArrayCreate_v2(&arr, &bad), CUDA_ERROR_INVALID_VALUE);
  CHECK_EQ(NvmlUsed(0), 0u);

  // Virtual memory management.
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = 0;
  std::size_t gran = 0;
  CU(cuMemGetAllocationGranularity(&gran, &prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED));
  CHECK_EQ(gran, 2 * kMiB);
  CUmemGenericAllocationHandle hv = 0, hh = 0;
  CHECK_EQ(cuMemCreate(&hv, 3 * kMiB, &prop, 0), CUDA_ERROR_INVALID_VALUE);
  CU(cuMemCreate(&hv, 4 * kMiB, &prop, 0));
  CHECK_EQ(NvmlUsed(0), 4 * kMiB);
  CUmemAllocationProp host_prop = prop;
  host_prop.location.type = CU_MEM_LOCATION_TYPE_HOST;
  CU(cuMemCreate(&hh, 4 * kMiB, &host_prop, 0));
  CHECK_EQ(NvmlUsed(0), 4 * kMiB);
  CUdeviceptr va = 0;
  CU(cuMemAddressReserve(&va, 8 * kMiB, 0, 0, 0));
  CHECK_EQ(va % (2 * kMiB), 0u);
  CU(cuMemMap(va, 4 * kMiB, 0, hv, 0));
  CHECK_EQ(cuMemMap(va + 2 * kMiB, 2 * kMiB, 0, hh, 0), CUDA_ERROR_INVALID_VALUE);  // overlap
  CU(cuMemMap(va + 4 * kMiB, 4 * kMiB, 0, hh, 0));
  CUmemAccessDesc access{};
  access.location = prop.location;
  access.flags = 3;
  CU(cuMemSetAccess(va, 8 * kMiB, &access, 1));
  CU(cuMemcpyHtoD_v2(va + 4 * kMiB - 8, host, 16));  // spans both mappings
  CU(cuMemRelease(hv));                               // still mapped: still charged
  CHECK_EQ(NvmlUsed(0), 4 * kMiB);
  CU(cuMemUnmap(va, 4 * kMiB));
  CHECK_EQ(NvmlUsed(0), 0u);
  CU(cuMemUnmap(va + 4 * kMiB, 4 * kMiB));
  CU(cuMemRelease(hh));
  CHECK_EQ(cuMemRelease(hh), CUDA_ERROR_INVALID_VALUE);
  CU(cuMemAddressFree(va, 8 * kMiB));

  // Stream-ordered allocator: charged at allocation, returned at free.
  CUmemoryPool pool = nullptr, cur = nullptr;
  CU(cuDeviceGetDefaultMemPool(&pool, 0));
  CU(cuDeviceGetMemPool(&cur, 0));
  CHECK(pool == cur);
  CU(cuMemAllocAsync(&p, kMiB, nullptr));
  CHECK_EQ(NvmlUsed(0), kMiB);
  cuuint64_t used = 0;
  CU(cuMemPoolGetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_CURRENT, &used));
  CHECK_EQ(used, kMiB);
  CU(cuMemFreeAsync(p, nullptr));
  CHECK_EQ(NvmlUsed(0), 0u);
  CU(cuMemPoolGetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_HIGH, &used));
  CHECK_EQ(used, kMiB);
  cuuint64_t zero = 0;
  CU(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_HIGH, &zero));
  CU(cuMemPoolGetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_HIGH, &used));
  CHECK_EQ(used, 0u);
  CUmemPoolProps props{};
  props.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
  props.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  props.location.id = 1;
  CUmemoryPool pool1 = nullptr;
  CU(cuMemPoolCreate(&pool1, &props));
  CU(cuMemAllocFromPoolAsync_ptsz(&p, 3 * kMiB, pool1, nullptr));
  CHECK_EQ(NvmlUsed(1), 3 * kMiB);
  CHECK_EQ(NvmlUsed(0), 0u);
  CU(cuMemFreeAsync_ptsz(p, nullptr));
  CHECK_EQ(NvmlUsed(1), 0u);
  CU(cuMemPoolDestroy(pool1));
  CHECK_EQ(cuMemPoolDestroy(pool), CUDA_ERROR_INVALID_VALUE);  // the default pool

  // A created context owns its allocations.
  CUcontext own = nullptr;
  CU(cuCtxCreate_v2(&own, 0, 0));
  CUcontext top = nullptr;
  CU(cuCtxGetCurrent(&top));
  CHECK(top == own);
  CU(cuMemAlloc_v2(&p, 7 * kMiB));
  CHECK_EQ(NvmlUsed(0), 7 * kMiB);
  CU(cuCtxDestroy_v2(own));
  CHECK_EQ(NvmlUsed(0), 0u);
  CU(cuCtxGetCurrent(&top));
  CHECK(top == ctx);  // popped back to the primary context
  CHECK_EQ(cuCtxDestroy_v2(ctx), CUDA_ERROR_INVALID_CONTEXT);  // primary

  // Many threads at once.
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([ctx, &errors] {
      if (cuCtxSetCurrent(ctx) != CUDA_SUCCESS) ++errors;
      for (int i = 0; i < 500; ++i) {
        CUdeviceptr q = 0;
        if (cuMemAlloc_v2(&q, 4096 + i) != CUDA_SUCCESS || cuMemFree_v2(q) != CUDA_SUCCESS) {
          ++errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK_EQ(errors.load(), 0);
  CHECK_EQ(NvmlUsed(0), 0u);
}

void CheckTiming() {
  CUmodule mod = nullptr;
  CUfunction fn = nullptr;
  CU(cuModuleLoadData(&mod, "any image"));
  CU(cuModuleGetFunction(&fn, mod, "any_kernel"));
  auto launch = [fn](CUstream s) {
    return cuLaunchKernel(fn, 1, 1, 1, 128, 1, 1, 0, s, nullptr, nullptr);
  };
  CHECK_EQ(cuLaunchKernel(reinterpret_cast<CUfunction>(0x42), 1, 1, 1, 1, 1, 1, 0, nullptr,
                          nullptr, nullptr),
           CUDA_ERROR_INVALID_HANDLE);
  CHECK_EQ(cuLaunchKernel(fn, 0, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr),
           CUDA_ERROR_INVALID_VALUE);
  CHECK_EQ(cuLaunchKernel(fn, 1, 1, 1, 1024, 2, 1, 0, nullptr, nullptr, nullptr),
           CUDA_ERROR_INVALID_VALUE);

  // 1000 kernels of 100 us: launches return at once, the work takes 0.1 s.
  CUstream s = nullptr;
  CU(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
  CUevent e0 = nullptr, e1 = nullptr;
  CU(cuEventCreate(&e0, CU_EVENT_DEFAULT));
  CU(cuEventCreate(&e1, CU_EVENT_DEFAULT));
  double t0 = Now();
  CU(cuEventRecord(e0, s));
  for (int i = 0; i < 1000; ++i) CU(launch(s));
  CU(cuEventRecord(e1, s));
  const double launch_time = Now() - t0;
  CHECK(launch_time < 0.05);
  CHECK_EQ(cuStreamQuery(s), CUDA_ERROR_NOT_READY);
  CHECK_EQ(cuEventQuery(e1), CUDA_ERROR_NOT_READY);
  float ms = 0;
  CHECK_EQ(cuEventElapsedTime(&ms, e0, e1), CUDA_ERROR_NOT_READY);
  CU(cuStreamSynchronize(s));
  const double total = Now() - t0;
  std::printf("  1000 kernels x 100 us: launch %.4f s, done after %.4f s\n", launch_time, total);
  // At least 0.1 s; more only by scheduling noise (a stalled launcher leaves
  // gaps, a sleep overshoots).
  CHECK(total >= 0.0995 && total < 0.1 + launch_time + 0.2);
  CU(cuStreamQuery(s));
  CU(cuEventQuery(e1));
  CU(cuEventElapsedTime_v2(&ms, e0, e1));
  CHECK(ms >= 99.99f && ms <= 100.01f + static_cast<float>(launch_time * 1000));

  // Two streams share one device timeline: 2 x 500 kernels take 0.1 s.
  CUstream s2 = nullptr;
  CU(cuStreamCreateWithPriority(&s2, 0, -3));
  int prio = 0;
  CU(cuStreamGetPriority(s2, &prio));
  CHECK_EQ(prio, -3);
  t0 = Now();
  for (int i = 0; i < 500; ++i) {
    CU(launch(s));
    CU(launch(s2));
  }
  const double two_launch = Now() - t0;
  CU(cuCtxSynchronize());
  const double two = Now() - t0;
  CHECK(two >= 0.0995 && two < 0.1 + two_launch + 0.2);

  // A full launch queue (1024 unfinished kernels) blocks the launcher.
  t0 = Now();
  for (int i = 0; i < 3000; ++i) CU(launch(s));
  const double blocked = Now() - t0;
  std::printf("  3000 launches on one stream blocked for %.4f s\n", blocked);
  CHECK(blocked >= 0.17);
  CU(cuStreamSynchronize(s));
  CHECK(Now() - t0 >= 0.2995);

  // Legacy-stream semantics: a synchronous copy waits for the blocking
  // streams' work; a non-blocking stream's work does not delay the legacy
  // stream's sync beyond the device order.
  CUstream blocking = nullptr;
  CU(cuStreamCreate(&blocking, CU_STREAM_DEFAULT));
  CUdeviceptr p = 0;
  CU(cuMemAlloc_v2(&p, 64));
  char host[64];
  t0 = Now();
  for (int i = 0; i < 200; ++i) CU(launch(blocking));
  CU(cuMemcpyDtoH_v2(host, p, 64));
  CHECK(Now() - t0 >= 0.0195);
  CU(cuStreamQuery(blocking));
  CU(cuMemFree_v2(p));

  // Per-thread default stream.
  t0 = Now();
  for (int i = 0; i < 100; ++i) {
    CU(cuLaunchKernel_ptsz(fn, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr));
  }
  CHECK_EQ(cuStreamQuery_ptsz(nullptr), CUDA_ERROR_NOT_READY);
  CU(cuStreamSynchronize(reinterpret_cast<CUstream>(kStreamPerThreadHandle)));
  CHECK(Now() - t0 >= 0.0095);

  // cuLaunchKernelEx and cooperative limits.
  CUlaunchConfig cfg{};
  cfg.gridDimX = cfg.gridDimY = cfg.gridDimZ = 1;
  cfg.blockDimX = 64;
  cfg.blockDimY = cfg.blockDimZ = 1;
  cfg.hStream = s;
  CU(cuLaunchKernelEx(&cfg, fn, nullptr, nullptr));
  CU(cuLaunchKernelEx_ptsz(&cfg, fn, nullptr, nullptr));
  CU(cuLaunchCooperativeKernel(fn, 132, 1, 1, 1024, 1, 1, 0, s, nullptr));
  CHECK_EQ(cuLaunchCooperativeKernel(fn, 265, 1, 1, 1024, 1, 1, 0, s, nullptr),
           CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE);

  // Library / kernel path.
  CUlibrary lib = nullptr;
  CUkernel k = nullptr;
  CUfunction kf = nullptr;
  CU(cuLibraryLoadData(&lib, "image", nullptr, nullptr, 0, nullptr, nullptr, 0));
  CU(cuLibraryGetKernel(&k, lib, "k"));
  CU(cuKernelGetFunction(&kf, k));
  CU(cuLaunchKernel(kf, 1, 1, 1, 1, 1, 1, 0, s, nullptr, nullptr));
  CU(cuLaunchKernel(reinterpret_cast<CUfunction>(k), 1, 1, 1, 1, 1, 1, 0, s, nullptr, nullptr));
  CU(cuLibraryUnload(lib));
  CHECK_EQ(cuLaunchKernel(kf, 1, 1, 1, 1, 1, 1, 0, s, nullptr, nullptr),
           CUDA_ERROR_INVALID_HANDLE);
  CU(cuStreamSynchronize(s));

  // Graphs: captured kernels are recorded, and run back to back on launch.
  CU(cuStreamBeginCapture_v2(s, CU_STREAM_CAPTURE_MODE_GLOBAL));
  CUstreamCaptureStatus status = 0;
  CU(cuStreamIsCapturing(s, &status));
  CHECK_EQ(status, CU_STREAM_CAPTURE_STATUS_ACTIVE);
  for (int i = 0; i < 100; ++i) CU(launch(s));
  CUgraph graph = nullptr;
  CU(cuStreamEndCapture(s, &graph));
  CU(cuStreamQuery(s));  // nothing ran
  CUgraphExec exec = nullptr;
  CU(cuGraphInstantiateWithFlags(&exec, graph, 0));
  t0 = Now();
  CU(cuGraphLaunch(exec, s));
  CU(cuGraphLaunch(exec, s));
  CHECK_EQ(cuStreamQuery(s), CUDA_ERROR_NOT_READY);
  CU(cuStreamSynchronize(s));
  CHECK(Now() - t0 >= 0.0195);
  CU(cuGraphExecDestroy(exec));
  CU(cuGraphDestroy(graph));
  CHECK_EQ(cuStreamBeginCapture_v2(nullptr, CU_STREAM_CAPTURE_MODE_GLOBAL),
           CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  CU(cuStreamBeginCapture_v2(s, CU_STREAM_CAPTURE_MODE_RELAXED));
  CHECK_EQ(cuStreamSynchronize(s), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  CHECK_EQ(cuStreamEndCapture(s, &graph), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);

  CU(cuEventDestroy_v2(e0));
  CU(cuEventDestroy_v2(e1));
  CU(cuStreamDestroy_v2(s));
  CU(cuStreamDestroy_v2(s2));
  CU(cuStreamDestroy_v2(blocking));
  CHECK_EQ(cuStreamDestroy_v2(s), CUDA_ERROR_INVALID_HANDLE);
  CU(cuModuleUnload(mod));
}

// The rules of stream capture (docs/SIMULATOR.md, "Stream capture"): what a
// capture forbids, to which thread, in which mode, and what it then returns.
void CheckCaptureRules() {
  CUcontext ctx = nullptr;
  CU(cuCtxGetCurrent(&ctx));
  CUmodule mod = nullptr;
  CUfunction fn = nullptr;
  CU(cuModuleLoadData(&mod, "any image"));
  CU(cuModuleGetFunction(&fn, mod, "any_kernel"));
  auto launch = [fn](CUstream s) {
    return cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, s, nullptr, nullptr);
  };
  CUstream s = nullptr, other = nullptr, blocking = nullptr;
  CU(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
  CU(cuStreamCreate(&other, CU_STREAM_NON_BLOCKING));
  CU(cuStreamCreate(&blocking, CU_STREAM_DEFAULT));
  const CUstream legacy = reinterpret_cast<CUstream>(kStreamLegacyHandle);
  CUevent plain = nullptr;
  CU(cuEventCreate(&plain, CU_EVENT_DEFAULT));
  CU(cuEventRecord(plain, other));
  // `call` on a thread of its own, with the context current there.
  auto elsewhere = [ctx](auto call) {
    CUresult r = CUDA_ERROR_UNKNOWN;
    std::thread([&] {
      if (cuCtxSetCurrent(ctx) == CUDA_SUCCESS) r = call();
    }).join();
    return r;
  };
  auto begin = [&](CUstream stream, int mode) {
    CU(cuStreamBeginCapture_v2(stream, mode));
    for (int i = 0; i < 10; ++i) CU(launch(stream));
  };
  auto end = [](CUstream stream) {
    CUgraph graph = nullptr;
    const CUresult r = cuStreamEndCapture(stream, &graph);
    if (graph != nullptr) cuGraphDestroy(graph);
    return r;
  };

  // Global mode: a context synchronisation from another thread invalidates
  // the capture; its launches fail from then on, and so does its end.
  begin(s, CU_STREAM_CAPTURE_MODE_GLOBAL);
  CHECK_EQ(elsewhere([] { return cuCtxSynchronize(); }), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  CHECK_EQ(launch(s), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
  CHECK_EQ(end(s), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
  // So do event and legacy-stream waits and synchronous allocations (which
  // do not happen), from any thread.
  const std::uint64_t free_before = CudaFree();
  CUdeviceptr p = 0;
  const std::vector<std::pair<const char*, std::function<CUresult()>>> unsafe = {
      {"cuEventSynchronize", [&] { return cuEventSynchronize(plain); }},
      {"cuEventQuery", [&] { return cuEventQuery(plain); }},
      {"cuStreamSynchronize(legacy)", [&] { return cuStreamSynchronize(nullptr); }},
      {"cuStreamQuery(legacy)", [&] { return cuStreamQuery(legacy); }},
      {"cuMemAlloc_v2", [&] { return cuMemAlloc_v2(&p, kMiB); }},
      {"cuMemAllocManaged", [&] { return cuMemAllocManaged(&p, kMiB, CU_MEM_ATTACH_GLOBAL); }},
  };
  for (const auto& [name, call] : unsafe) {
    begin(s, CU_STREAM_CAPTURE_MODE_GLOBAL);
    const CUresult r = elsewhere(call);
    const CUresult ended = end(s);
    if (r != CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED ||
        ended != CUDA_ERROR_STREAM_CAPTURE_INVALIDATED) {
      std::fprintf(stderr, "  %s from another thread during a global capture: %d, end %d\n",
                   name, r, ended);
    }
    CHECK_EQ(r, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
    CHECK_EQ(ended, CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
  }
  CHECK_EQ(CudaFree(), free_before);
  // Waiting for another stream, or asking a stream's status, is no harm.
  begin(s, CU_STREAM_CAPTURE_MODE_GLOBAL);
  CU(launch(other));
  CU(elsewhere([&] { return cuStreamSynchronize(other); }));
  CUstreamCaptureStatus status = CU_STREAM_CAPTURE_STATUS_NONE;
  CU(elsewhere([&] { return cuStreamIsCapturing(s, &status); }));
  CHECK_EQ(status, CU_STREAM_CAPTURE_STATUS_ACTIVE);
  CU(end(s));
  // The capturing thread's own unsafe call, in global mode.
  begin(s, CU_STREAM_CAPTURE_MODE_GLOBAL);
  CHECK_EQ(cuEventQuery(plain), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  CHECK_EQ(end(s), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);

  // Relaxed mode: the same calls invalidate nothing, from any thread.
  begin(s, CU_STREAM_CAPTURE_MODE_RELAXED);
  CU(elsewhere([] { return cuCtxSynchronize(); }));
  CU(elsewhere([&] { return cuEventSynchronize(plain); }));
  CU(cuCtxSynchronize());
  CU(end(s));
  // Thread-local mode: only the capturing thread's own calls.
  begin(s, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
  CU(elsewhere([] { return cuCtxSynchronize(); }));
  CU(launch(s));
  CHECK_EQ(cuCtxSynchronize(), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  CHECK_EQ(end(s), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);

  // In every mode, nothing may wait for what a capture records: an event
  // recorded into it (which stays a graph node's event after the capture,
  // until recorded again outside one)...
  CUevent captured = nullptr;
  CU(cuEventCreate(&captured, CU_EVENT_DISABLE_TIMING));
  begin(s, CU_STREAM_CAPTURE_MODE_RELAXED);
  CU(cuEventRecord(captured, s));
  CHECK_EQ(elsewhere([&] { return cuEventSynchronize(captured); }), CUDA_ERROR_CAPTURED_EVENT);
  CHECK_EQ(end(s), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
  CHECK_EQ(cuEventQuery(captured), CUDA_ERROR_CAPTURED_EVENT);
  CU(cuEventRecord(captured, other));
  CU(cuEventSynchronize(captured));
  // ...the capturing stream itself...
  begin(s, CU_STREAM_CAPTURE_MODE_RELAXED);
  CHECK_EQ(elsewhere([&] { return cuStreamQuery(s); }), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  CHECK_EQ(end(s), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
  // ...or the legacy stream while a blocking stream of its context captures.
  begin(blocking, CU_STREAM_CAPTURE_MODE_RELAXED);
  CHECK_EQ(elsewhere([&] { return cuStreamQuery(legacy); }), CUDA_ERROR_STREAM_CAPTURE_IMPLICIT);
  CHECK_EQ(end(blocking), CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);

  // An ended capture is gone: waits are free again, and a new capture holds.
  CU(cuCtxSynchronize());
  begin(s, CU_STREAM_CAPTURE_MODE_GLOBAL);
  CU(end(s));
  // So is the capture of a destroyed stream.
  CUstream doomed = nullptr;
  CU(cuStreamCreate(&doomed, CU_STREAM_NON_BLOCKING));
  begin(doomed, CU_STREAM_CAPTURE_MODE_GLOBAL);
  CU(cuStreamDestroy_v2(doomed));
  CU(elsewhere([] { return cuCtxSynchronize(); }));

  // cuStreamBeginCaptureToGraph captures into the caller's graph.
  CUgraph graph = nullptr;
  CU(cuGraphCreate(&graph, 0));
  CHECK_EQ(cuStreamBeginCaptureToGraph(s, graph, nullptr, nullptr, 1,
                                       CU_STREAM_CAPTURE_MODE_GLOBAL),
           CUDA_ERROR_INVALID_VALUE);
  CU(cuStreamBeginCaptureToGraph_ptsz(nullptr, graph, nullptr, nullptr, 0,
                                      CU_STREAM_CAPTURE_MODE_GLOBAL));
  CU(cuStreamIsCapturing(reinterpret_cast<CUstream>(kStreamPerThreadHandle), &status));
  CHECK_EQ(status, CU_STREAM_CAPTURE_STATUS_ACTIVE);
  for (int i = 0; i < 100; ++i) {
    CU(cuLaunchKernel_ptsz(fn, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr));
  }
  CUgraph ended = nullptr;
  CU(cuStreamEndCapture_ptsz(nullptr, &ended));
  CHECK(ended == graph);
  CUgraphExec exec = nullptr;
  CU(cuGraphInstantiateWithFlags(&exec, graph, 0));
  const double t0 = Now();
  CU(cuGraphLaunch(exec, s));
  CU(cuStreamSynchronize(s));
  CHECK(Now() - t0 >= 0.0095);  // 100 kernels of 100 us
  CU(cuGraphExecDestroy(exec));
  CU(cuGraphDestroy(graph));

  CU(cuEventDestroy_v2(plain));
  CU(cuEventDestroy_v2(captured));
  CU(cuStreamDestroy_v2(s));
  CU(cuStreamDestroy_v2(other));
  CU(cuStreamDestroy_v2(blocking));
  CU(cuModuleUnload(mod));
}

void CheckUtilization() {
  CUcontext ctx1 = nullptr;
  CU(cuDevicePrimaryCtxRetain(&ctx1, 1));
  CU(cuCtxPushCurrent_v2(ctx1));
  nvmlDevice_t d = nullptr;
  nvmlDeviceGetHandleByIndex_v2(1, &d);
  nvmlUtilization_t u{};
  CHECK_EQ(nvmlDeviceGetUtilizationRates(d, &u), NVML_SUCCESS);
  CHECK_EQ(u.gpu, 0u);
  CUmodule mod = nullptr;
  CUfunction fn = nullptr;
  CU(cuModuleLoad(&mod, "kernels.cubin"));
  CU(cuModuleGetFunction(&fn, mod, "k"));
  const double t0 = Now();
  for (int i = 0; i < 5000; ++i) {
    CU(cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr));
  }
  CU(cuCtxSynchronize());
  CHECK_EQ(nvmlDeviceGetUtilizationRates(d, &u), NVML_SUCCESS);
  std::printf("  device 1 busy for 0.5 s of the last 1 s (%.3f s wall): utilisation %u%%\n",
              Now() - t0, u.gpu);
  CHECK(u.gpu >= 40 && u.gpu <= 60);
  // Releasing the last reference frees the context's allocations.
  CUdeviceptr p = 0;
  CU(cuMemAlloc_v2(&p, kMiB));
  CHECK_EQ(NvmlUsed(1), kMiB);
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent_v2(&popped));
  CHECK(popped == ctx1);
  CU(cuDevicePrimaryCtxRelease_v2(1));
  CHECK_EQ(NvmlUsed(1), 0u);
  CHECK_EQ(cuDevicePrimaryCtxRelease_v2(1), CUDA_ERROR_INVALID_CONTEXT);
}

void CheckProcesses() {
  const std::string state = std::getenv("VSLICE_SIM_STATE");
  // (a) Another process's memory is visible; a SIGKILLed process's is reclaimed.
  Child c = Spawn({"child-hold", std::to_string(256 * kMiB)}, {});
  CHECK(ReadLine(c.out) == "ready 0");
  CHECK_EQ(NvmlUsed(0), 256 * kMiB);
  CHECK_EQ(CudaFree(), kGiB - 256 * kMiB);
  CHECK_EQ(NvmlProcessBytes(0, c.pid), 256 * kMiB);
  kill(c.pid, SIGKILL);
  Finish(c);
  CHECK_EQ(NvmlUsed(0), 0u);  // NVML reclaims the dead process's bytes
  CHECK_EQ(NvmlProcessBytes(0, c.pid), ~0ull);
  CHECK_EQ(CudaFree(), kGiB);

  // (b) The other process competes for the same memory; reclaimed on the
  // allocation that would otherwise fail.
  CUdeviceptr p = 0;
  CU(cuMemAlloc_v2(&p, 800 * kMiB));
  Child c2 = Spawn({"child-hold", std::to_string(300 * kMiB)}, {});
  CHECK(ReadLine(c2.out) == "ready 2");  // CUDA_ERROR_OUT_OF_MEMORY
  Finish(c2);
  Child c3 = Spawn({"child-hold", std::to_string(200 * kMiB)}, {});
  CHECK(ReadLine(c3.out) == "ready 0");
  CUdeviceptr q = 0;
  CHECK_EQ(cuMemAlloc_v2(&q, 100 * kMiB), CUDA_ERROR_OUT_OF_MEMORY);
  kill(c3.pid, SIGKILL);
  Finish(c3);
  CU(cuMemAlloc_v2(&q, 100 * kMiB));  // fits once the dead child is reclaimed
  CU(cuMemFree_v2(q));
  CU(cuMemFree_v2(p));

  // (c) Kernels of different processes never overlap.
  Child busy = Spawn({"child-busy", "1000"}, {});
  const std::string launched = ReadLine(busy.out);
  CHECK(launched.rfind("launched ", 0) == 0);
  const std::uint64_t child_start = std::strtoull(launched.c_str() + 9, nullptr, 10);
  CUmodule mod = nullptr;
  CUfunction fn = nullptr;
  CU(cuModuleLoadData(&mod, "image"));
  CU(cuModuleGetFunction(&fn, mod, "k"));
  const double t0 = Now();
  for (int i = 0; i < 1000; ++i) CU(cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr));
  CU(cuCtxSynchronize());
  // CLOCK_MONOTONIC is system-wide: the child's 1000 kernels started no
  // earlier than child_start, ours run after them, so 0.2 s pass at least.
  const std::uint64_t done = MonoNs();
  std::printf("  1000 own kernels behind another process's 1000: %.4f s (%.4f s after the "
              "other process began)\n",
              Now() - t0, static_cast<double>(done - child_start) / 1e9);
  CHECK(done >= child_start + 199'900'000ull);
  CHECK_EQ(WEXITSTATUS(Finish(busy)), 0);

  // (d) Context memory of another process; freed when it exits normally.
  Child ctx = Spawn({"child-ctx"}, {{"VSLICE_SIM_CONTEXT_MEMORY", "64m"}});
  CHECK(ReadLine(ctx.out) == "ready");
  CHECK_EQ(NvmlUsed(0), 64 * kMiB);
  CHECK_EQ(NvmlProcessBytes(0, ctx.pid), 64 * kMiB);
  CHECK_EQ(WEXITSTATUS(Finish(ctx)), 0);
  CHECK_EQ(NvmlUsed(0), 0u);

  // (e) fork() without exec: the child may not use the parent's CUDA.
  const pid_t pid = fork();
  if (pid == 0) {
    std::size_t f = 0, t = 0;
    const bool ok = cuMemGetInfo_v2(&f, &t) == CUDA_ERROR_NOT_INITIALIZED &&
                    cuInit(0) == CUDA_ERROR_NOT_INITIALIZED;
    _exit(ok ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  CU(cuMemAlloc_v2(&p, kMiB));  // the parent's slot survived the child
  CHECK_EQ(NvmlUsed(0), kMiB);
  CHECK_EQ(NvmlProcessBytes(0, getpid()), kMiB);
  CU(cuMemFree_v2(p));

  // (f) Configuration errors: one clear line, defaults used.
  const std::string err = g_dir + "/child.err";
  Child bad_env = Spawn({"child-init"}, {{"VSLICE_SIM_MEMORY", "12x"},
                                         {"VSLICE_SIM_STATE", g_dir + "/other.state"}},
                        err);
  CHECK(ReadLine(bad_env.out) == "init 0 nvml 0 total " + std::to_string(80 * kGiB));
  Finish(bad_env);
  const std::string text = ReadFile(err);
  CHECK(text.find("VSLICE_SIM_MEMORY='12x'") != std::string::npos);
  CHECK(text.find("80g") != std::string::npos);

  const std::string garbage = g_dir + "/garbage.state";
  if (FILE* f = std::fopen(garbage.c_str(), "w")) {
    std::fputs("not a state file", f);
    std::fclose(f);
  }
  Child bad_file = Spawn({"child-init"}, {{"VSLICE_SIM_STATE", garbage}}, err);
  CHECK(ReadLine(bad_file.out) == "init 3 nvml 999 total 0");
  Finish(bad_file);
  CHECK(ReadFile(err).find(garbage) != std::string::npos);

  struct stat sst {};
  stat(state.c_str(), &sst);
  const std::string wrong_magic = g_dir + "/magic.state";
  if (FILE* f = std::fopen(wrong_magic.c_str(), "w")) {
    std::vector<char> bytes(static_cast<std::size_t>(sst.st_size), '\xab');
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  Child bad_magic = Spawn({"child-init"}, {{"VSLICE_SIM_STATE", wrong_magic}}, err);
  CHECK(ReadLine(bad_magic.out) == "init 3 nvml 999 total 0");
  Finish(bad_magic);
  CHECK(ReadFile(err).find("magic") != std::string::npos);

  Child no_dev = Spawn({"child-init"}, {{"VSLICE_SIM_DEVICES", "0"},
                                        {"VSLICE_SIM_STATE", g_dir + "/nodev.state"}});
  CHECK(ReadLine(no_dev.out) == "init 100 nvml 0 total 0");
  Finish(no_dev);
}

}  // namespace

int main(int argc, char** argv) {
  g_self = "/proc/self/exe";
  {
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n > 0) g_self.assign(buf, static_cast<std::size_t>(n));
  }
  if (argc >= 2) {
    const std::string mode = argv[1];
    if (mode == "child-hold" && argc >= 3) return ChildHold(std::strtoull(argv[2], nullptr, 10));
    if (mode == "child-busy" && argc >= 3) return ChildBusy(std::atoi(argv[2]));
    if (mode == "child-ctx") return ChildCtx();
    if (mode == "child-init") return ChildInit();
    std::fprintf(stderr, "usage: %s [child-hold BYTES|child-busy N|child-ctx|child-init]\n",
                 argv[0]);
    return 2;
  }

  char dir[] = "/tmp/vslice-sim-selftest-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  g_dir = dir;
  const std::string state = g_dir + "/device.state";
  setenv("VSLICE_SIM_STATE", state.c_str(), 1);
  setenv("VSLICE_SIM_DEVICES", "2", 1);
  setenv("VSLICE_SIM_MEMORY", "1g", 1);
  setenv("VSLICE_SIM_KERNEL_US", "100", 1);
  unsetenv("VSLICE_SIM_CONTEXT_MEMORY");

  struct Step {
    const char* name;
    void (*run)();
  };
  const Step steps[] = {
      {"parsers", CheckParsers},         {"before cuInit", CheckBeforeInit},
      {"cuGetProcAddress", CheckProcAddress}, {"devices and NVML", CheckDevices},
      {"memory", CheckMemory},           {"timing", CheckTiming},
      {"stream capture rules", CheckCaptureRules},
      {"utilisation", CheckUtilization}, {"processes", CheckProcesses},
  };
  for (const Step& s : steps) {
    const int before = g_failures;
    const double t0 = Now();
    std::printf("[ RUN  ] %s\n", s.name);
    std::fflush(stdout);
    s.run();
    std::printf("[ %s ] %s (%.2f s)\n", g_failures == before ? " OK " : "FAIL", s.name,
                Now() - t0);
    std::fflush(stdout);
  }
  for (const char* f : {"/device.state", "/other.state", "/garbage.state", "/magic.state",
                        "/nodev.state", "/child.err"}) {
    unlink((g_dir + f).c_str());
  }
  rmdir(g_dir.c_str());
  std::printf("sim_selftest: %d checks, %d failed\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
