// Prints "next ok" when getppid, wrapped by next_shim.cc through
// dlsym(RTLD_NEXT), reaches the C library's definition.
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

int main() {
  const long expected = syscall(SYS_getppid);
  const long got = getppid();
  std::printf(got == expected ? "next ok\n" : "next wrong: %ld, expected %ld\n", got, expected);
  return got == expected ? 0 : 1;
}
