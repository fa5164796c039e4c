/* An application built with AddressSanitizer (clang -fsanitize=address),
 * run with libvslice.so preloaded: the sanitizer runtime looks its functions
 * up with dlsym(RTLD_NEXT, ...) while it starts, before main, through the
 * interceptor's dlsym. Then, as an application does, it loads the driver with
 * dlopen, looks functions up on the handle and allocates under the pod's
 * quota. Prints one line per step. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*init_t)(unsigned);
typedef int (*device_get_t)(int*, int);
typedef int (*retain_t)(void**, int);
typedef int (*set_current_t)(void*);
typedef int (*alloc_t)(unsigned long long*, size_t);
typedef int (*free_t)(unsigned long long);

int main(void) {
  char* heap = malloc(16);
  strcpy(heap, "heap");
  printf("started %s\n", heap);
  free(heap);
  printf("next malloc %s\n", dlsym(RTLD_NEXT, "malloc") != NULL ? "found" : "missing");

  void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (cuda == NULL) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  init_t init = (init_t)dlsym(cuda, "cuInit");
  device_get_t device_get = (device_get_t)dlsym(cuda, "cuDeviceGet");
  retain_t retain = (retain_t)dlsym(cuda, "cuDevicePrimaryCtxRetain");
  set_current_t set_current = (set_current_t)dlsym(cuda, "cuCtxSetCurrent");
  alloc_t alloc = (alloc_t)dlsym(cuda, "cuMemAlloc_v2");
  free_t release = (free_t)dlsym(cuda, "cuMemFree_v2");
  if (!init || !device_get || !retain || !set_current || !alloc || !release) {
    printf("lookup failed\n");
    return 1;
  }
  int device = 0;
  void* context = NULL;
  if (init(0) != 0 || device_get(&device, 0) != 0 || retain(&context, device) != 0 ||
      set_current(context) != 0) {
    printf("setup failed\n");
    return 1;
  }
  unsigned long long small = 0, large = 0;
  const int a = alloc(&small, 64u << 20);
  const int b = alloc(&large, (size_t)2 << 30);
  printf("alloc 64m -> %d, alloc 2g -> %d, free -> %d\n", a, b, a == 0 ? release(small) : -1);
  return 0;
}
