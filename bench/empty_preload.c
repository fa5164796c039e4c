/* An empty shared library: preloading it shows what any LD_PRELOAD costs a
   process start, the baseline for libvslice.so's own cost there. */
int vslice_empty_preload_marker;
