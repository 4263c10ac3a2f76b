# Cross toolchain: static x86_64 musl binaries built by zig through small wrappers
# (x86_64-linux-musl-gcc/g++ = `zig cc/c++ -target x86_64-linux-musl`).
#
#   cmake -B build -DCMAKE_TOOLCHAIN_FILE=cmake/musl-toolchain.cmake \
#         -DLIFEBOAT_TOOLCHAIN_BIN=/path/to/wrappers/bin
#
# LIFEBOAT_TOOLCHAIN_BIN comes from the cache variable, else from the environment.
# Nothing from the host's /usr/include or /usr/lib is ever searched.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

if(NOT LIFEBOAT_TOOLCHAIN_BIN AND DEFINED ENV{LIFEBOAT_TOOLCHAIN_BIN})
  set(LIFEBOAT_TOOLCHAIN_BIN "$ENV{LIFEBOAT_TOOLCHAIN_BIN}")
endif()
if(NOT LIFEBOAT_TOOLCHAIN_BIN)
  message(FATAL_ERROR
    "musl-toolchain.cmake: set LIFEBOAT_TOOLCHAIN_BIN (cache variable or environment) "
    "to the directory holding x86_64-linux-musl-gcc/g++/ar/ranlib")
endif()
if(NOT EXISTS "${LIFEBOAT_TOOLCHAIN_BIN}/x86_64-linux-musl-g++")
  message(FATAL_ERROR "musl-toolchain.cmake: no x86_64-linux-musl-g++ in ${LIFEBOAT_TOOLCHAIN_BIN}")
endif()
set(LIFEBOAT_TOOLCHAIN_BIN "${LIFEBOAT_TOOLCHAIN_BIN}" CACHE PATH "Directory of the x86_64-linux-musl-* wrappers")
# try_compile() projects re-read this file: hand them the variable too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LIFEBOAT_TOOLCHAIN_BIN)

set(_lb_prefix "${LIFEBOAT_TOOLCHAIN_BIN}/x86_64-linux-musl-")
set(CMAKE_C_COMPILER   "${_lb_prefix}gcc")
set(CMAKE_CXX_COMPILER "${_lb_prefix}g++")
set(CMAKE_AR           "${_lb_prefix}ar"     CACHE FILEPATH "musl ar")
set(CMAKE_RANLIB       "${_lb_prefix}ranlib" CACHE FILEPATH "musl ranlib")
if(EXISTS "${_lb_prefix}strip")
  set(CMAKE_STRIP "${_lb_prefix}strip" CACHE FILEPATH "musl strip")
endif()

# The compiler brings its own musl headers and libc++; the "root" below holds nothing,
# so find_* never returns a host header or library.
set(CMAKE_FIND_ROOT_PATH "${CMAKE_CURRENT_LIST_DIR}/no-host-sysroot")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_SYSTEM_IGNORE_PREFIX_PATH /usr /usr/local /)

# Static musl binaries run fine on the x86_64 host: no emulator needed for ctest.
set(CMAKE_CROSSCOMPILING_EMULATOR "")
