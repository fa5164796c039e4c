# vslice_interceptor_library(HOOKS LIBRARY OUTPUT_NAME SOURCES...): one
# interceptor library (libvslice.so, libvslice_ascend.so) from its backend's
# sources, under the rules every interceptor follows: it lives inside other
# people's processes, so it depends on nothing but the C library at run time
# (the C++ runtime is linked in statically), exports only the hooks its
# folder's exports.map names, and carries the shared dlsym entry
# (src/core/dlsym_entry.S and .cc). HOOKS is the object library the backend's
# sources build into.
function(vslice_interceptor_library hooks library output_name)
  add_library(${hooks} OBJECT ${ARGN}
    ${PROJECT_SOURCE_DIR}/src/core/dlsym_entry.S
    ${PROJECT_SOURCE_DIR}/src/core/dlsym_entry.cc)
  target_include_directories(${hooks} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${hooks} PRIVATE -fno-exceptions -fno-rtti -fvisibility=hidden
                         -fvisibility-inlines-hidden)

  set(exports ${CMAKE_CURRENT_SOURCE_DIR}/exports.map)
  add_library(${library} SHARED $<TARGET_OBJECTS:${hooks}>)
  target_link_libraries(${library} PRIVATE vslice_core dl pthread)
  target_link_options(${library} PRIVATE
    -static-libstdc++ -static-libgcc
    -Wl,--version-script=${exports}
    -Wl,--no-undefined -Wl,--as-needed)
  set_target_properties(${library} PROPERTIES OUTPUT_NAME ${output_name} LINK_DEPENDS ${exports})
endfunction()
