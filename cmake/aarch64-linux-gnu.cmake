# Cross-building detectd for arm64 with Debian's gcc-aarch64-linux-gnu against
# the Debian arm64 root that scripts/arm64-root prepares (scripts/build-arm64):
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DDD_SYSROOT=<root> ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
if(NOT DD_SYSROOT AND DEFINED ENV{DD_SYSROOT})
  set(DD_SYSROOT $ENV{DD_SYSROOT})
endif()
if(NOT DD_SYSROOT OR NOT EXISTS "${DD_SYSROOT}/usr/include/stdio.h")
  message(FATAL_ERROR "DD_SYSROOT must name an arm64 root with headers (scripts/arm64-root)")
endif()
set(DD_SYSROOT "${DD_SYSROOT}" CACHE PATH "arm64 root (scripts/arm64-root)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DD_SYSROOT) # the compiler checks' projects
set(CMAKE_SYSROOT "${DD_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config reads the root's .pc files and prefixes their paths with it
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${CMAKE_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
