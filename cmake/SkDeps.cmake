# Finds every library skytune links, the standard way. A missing one stops configure with the
# Debian package that provides it (ci/install-deps.sh installs them all).
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: install the Debian package 'pkg-config' (or run ci/install-deps.sh)")
endif()

function(sk_require_pkg target module debpkg)
  pkg_check_modules(${target} IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR "${module} not found: install the Debian package '${debpkg}' (or run ci/install-deps.sh)")
  endif()
endfunction()

if(SK_OPENMP)
  find_package(OpenMP)
  if(NOT OpenMP_C_FOUND)
    message(FATAL_ERROR "OpenMP for C not found: install the Debian package 'libgomp1' with gcc (or build with -DSK_OPENMP=OFF)")
  endif()
endif()

# GEMM backends. OpenBLAS is always linked; oneDNN is linked too whenever it is installed, so one
# binary can run both (sk_gemm_select, SKYTUNE_GEMM). SK_BLAS only picks the default.
if(NOT SK_BLAS MATCHES "^(openblas|dnnl|det)$")
  message(FATAL_ERROR "SK_BLAS=${SK_BLAS}: unknown GEMM backend (supported: openblas, dnnl, det)")
endif()
# The OpenMP build of OpenBLAS, so BLAS and our own loops share one thread pool.
find_path(SK_OPENBLAS_INCLUDE cblas.h PATHS /usr/include/x86_64-linux-gnu/openblas-openmp
          /usr/include/aarch64-linux-gnu/openblas-openmp /usr/include/openblas NO_DEFAULT_PATH)
find_library(SK_OPENBLAS_LIB openblas PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp
             /usr/lib/aarch64-linux-gnu/openblas-openmp NO_DEFAULT_PATH)
if(NOT SK_OPENBLAS_INCLUDE OR NOT SK_OPENBLAS_LIB)
  message(FATAL_ERROR "OpenBLAS (OpenMP build) not found: install the Debian package 'libopenblas-openmp-dev' (or run ci/install-deps.sh)")
endif()
add_library(sk_blas INTERFACE)
target_include_directories(sk_blas INTERFACE ${SK_OPENBLAS_INCLUDE})
target_link_libraries(sk_blas INTERFACE ${SK_OPENBLAS_LIB})
target_compile_definitions(sk_blas INTERFACE SK_BLAS_OPENBLAS=1)
# oneDNN >= 2.0 (oneapi/dnnl/dnnl.h; its row-major dnnl_sgemm exists since 1.0). Debian ships no
# dnnl.pc, and its dnnl-config.cmake requires OpenCL headers we do not need, so plain find_*.
# Debian's build uses the OpenMP CPU runtime (libgomp): it shares our thread pool.
find_path(SK_DNNL_INCLUDE oneapi/dnnl/dnnl.h)
find_library(SK_DNNL_LIB dnnl)
if(SK_DNNL_INCLUDE AND SK_DNNL_LIB)
  target_include_directories(sk_blas INTERFACE ${SK_DNNL_INCLUDE})
  target_link_libraries(sk_blas INTERFACE ${SK_DNNL_LIB})
  target_compile_definitions(sk_blas INTERFACE SK_HAVE_DNNL=1)
  message(STATUS "GEMM backends: openblas, dnnl (${SK_DNNL_LIB}); default ${SK_BLAS}")
elseif(SK_BLAS STREQUAL "dnnl")
  message(FATAL_ERROR "SK_BLAS=dnnl but oneDNN not found: install the Debian package 'libdnnl-dev' (or run ci/install-deps.sh)")
else()
  message(STATUS "GEMM backends: openblas (oneDNN not found: libdnnl-dev adds the dnnl backend)")
endif()
target_compile_definitions(sk_blas INTERFACE SK_BLAS_DEFAULT="${SK_BLAS}")

sk_require_pkg(SK_CURL libcurl libcurl4-openssl-dev)
sk_require_pkg(SK_ARCHIVE libarchive libarchive-dev)
sk_require_pkg(SK_JPEG libjpeg libjpeg62-turbo-dev)
sk_require_pkg(SK_PNG libpng libpng-dev)
sk_require_pkg(SK_CFITSIO cfitsio libcfitsio-dev)
sk_require_pkg(SK_HDF5 hdf5 libhdf5-dev)
sk_require_pkg(SK_CJSON libcjson libcjson-dev)
sk_require_pkg(SK_ZLIB zlib zlib1g-dev)
sk_require_pkg(SK_CRYPTO libcrypto libssl-dev)

find_library(SK_LIBM m)
