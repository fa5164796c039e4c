/* The exported dlsym of an interceptor library (libvslice.so,
 * libvslice_ascend.so): a few instructions in front of the backend's C++
 * code, written in assembly because they must not change the return address.
 *
 * dlsym(RTLD_NEXT, name) means "the next definition after the object that
 * called dlsym", which the C library finds from its caller's return address.
 * A lookup vslice does not wrap (every RTLD_NEXT lookup but those of driver
 * functions) therefore jumps straight into the C library's dlsym, with the
 * application's return address still in place: the C library answers it for
 * the real caller, at no cost, without vslice walking the loaded objects.
 * That matters at start-up, before sanitizer runtimes and other interposers
 * are ready: they look their functions up with RTLD_NEXT, and a walk (which
 * opens objects) would call into them half-initialised.
 *
 * Everything else goes to vslice_dlsym_interposed(handle, name, caller),
 * jumped to as well, so that it returns to the caller directly.
 *
 * core/dlsym_entry.cc defines (hidden):
 *   void* vslice_dlsym_pass_through(const char* name);
 *       the C library's dlsym when `name` is one vslice never wraps, else 0;
 *   void* vslice_dlsym_interposed(void* handle, const char* name,
 *                                 const void* caller);
 */
#if defined(__x86_64__) || defined(__aarch64__)

        .text
        .globl  dlsym
        .type   dlsym, %function
#if defined(__x86_64__)
dlsym:
#if defined(__CET__)
        endbr64
#endif
        cmpq    $-1, %rdi               /* RTLD_NEXT */
        jne     1f
        pushq   %rdi
        pushq   %rsi
        subq    $8, %rsp                /* 16-byte alignment for the call */
        movq    %rsi, %rdi
        call    vslice_dlsym_pass_through
        addq    $8, %rsp
        popq    %rsi
        popq    %rdi
        testq   %rax, %rax
        jz      1f
        jmp     *%rax                   /* the C library's dlsym, for our caller */
1:      movq    (%rsp), %rdx            /* the caller's return address */
        jmp     vslice_dlsym_interposed
#else  /* __aarch64__ */
dlsym:
#if defined(__ARM_FEATURE_BTI_DEFAULT)
        bti     c
#endif
        cmn     x0, #1                  /* RTLD_NEXT */
        b.ne    1f
        stp     x29, x30, [sp, #-32]!
        mov     x29, sp
        stp     x0, x1, [sp, #16]
        mov     x0, x1
        bl      vslice_dlsym_pass_through
        mov     x16, x0
        ldp     x0, x1, [sp, #16]
        ldp     x29, x30, [sp], #32
        cbz     x16, 1f
        br      x16                     /* the C library's dlsym, for our caller */
1:      mov     x2, x30                 /* the caller's return address */
        b       vslice_dlsym_interposed
#endif
        .size   dlsym, .-dlsym

#endif

        .section .note.GNU-stack, "", %progbits
