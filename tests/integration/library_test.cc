// The interceptors live inside other people's processes: they need nothing
// but the C library, and run nothing when loaded (no constructor of their
// own; the C runtime's frame_dummy is the one .init_array entry a shared
// library always gets). Checked on the built files, so that a change that
// pulls in a static initialiser (a guarded function-local static drags the
// C++ runtime's exception pool and its constructor in) fails here.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vslice::testing {
namespace {

struct ElfFacts {
  bool ok = false;
  std::uint64_t init_array_bytes = 0;
  std::vector<std::string> needed;
};

ElfFacts Read(const std::string& path) {
  ElfFacts facts;
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> file((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  if (file.size() < sizeof(Elf64_Ehdr)) return facts;
  Elf64_Ehdr eh;
  std::memcpy(&eh, file.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shoff + std::uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr) > file.size()) {
    return facts;
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  std::memcpy(sections.data(), file.data() + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type == SHT_INIT_ARRAY) facts.init_array_bytes += sh.sh_size;
    if (sh.sh_type != SHT_DYNAMIC || sh.sh_link >= sections.size()) continue;
    const Elf64_Shdr& strings = sections[sh.sh_link];
    if (sh.sh_offset + sh.sh_size > file.size() ||
        strings.sh_offset + strings.sh_size > file.size()) {
      return facts;
    }
    for (std::uint64_t at = 0; at + sizeof(Elf64_Dyn) <= sh.sh_size; at += sizeof(Elf64_Dyn)) {
      Elf64_Dyn dyn;
      std::memcpy(&dyn, file.data() + sh.sh_offset + at, sizeof dyn);
      if (dyn.d_tag == DT_NEEDED && dyn.d_un.d_val < strings.sh_size) {
        facts.needed.emplace_back(file.data() + strings.sh_offset + dyn.d_un.d_val);
      }
    }
  }
  facts.ok = true;
  return facts;
}

class InterceptorLibraryTest : public ::testing::TestWithParam<const char*> {};

TEST_P(InterceptorLibraryTest, NeedsOnlyTheCLibraryAndRunsNothingAtLoad) {
  const std::string path = LibDir() + "/" + GetParam();
  std::ifstream probe(path);
  if (!probe) GTEST_SKIP() << path << " was not built";
  const ElfFacts facts = Read(path);
  ASSERT_TRUE(facts.ok) << path << " is not a readable 64-bit ELF file";
  for (const std::string& library : facts.needed) {
    EXPECT_TRUE(library == "libc.so.6" || library == "libdl.so.2" ||
                library == "libpthread.so.0" || library.rfind("ld-linux", 0) == 0)
        << path << " needs " << library;
  }
  EXPECT_LE(facts.init_array_bytes, sizeof(void*))
      << path << " has " << facts.init_array_bytes / sizeof(void*)
      << " load-time initialisers (the C runtime's frame_dummy is the only one allowed)";
}

INSTANTIATE_TEST_SUITE_P(BothBackends, InterceptorLibraryTest,
                         ::testing::Values("libvslice.so", "libvslice_ascend.so"),
                         [](const auto& info) {
                           return std::string(info.param).substr(3, std::strlen(info.param) - 6);
                         });

}  // namespace
}  // namespace vslice::testing
