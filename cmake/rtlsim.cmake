# The rtlsim backend: accel/rtl's Verilog Verilated into one C++ model per configuration
# (the parameters of accel/rtl/rtl_model.cpp's dd_rtl_configs), with the harness and DRAM model,
# linked into dd_accel.
enable_language(CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(verilator 5.0 REQUIRED HINTS /usr/share/verilator)
set(DD_RTL_SOURCES
  ${CMAKE_SOURCE_DIR}/accel/rtl/dd_accel.v
  ${CMAKE_SOURCE_DIR}/accel/rtl/dd_eu.v
  ${CMAKE_SOURCE_DIR}/accel/rtl/dd_mac_row.v
  ${CMAKE_SOURCE_DIR}/accel/rtl/dd_vlane.v
  ${CMAKE_SOURCE_DIR}/accel/rtl/dd_mem.v
  ${CMAKE_SOURCE_DIR}/accel/rtl/dd_rd_dma.v
  ${CMAKE_SOURCE_DIR}/accel/rtl/dd_wr_dma.v)
add_library(dd_rtl_models STATIC accel/rtl/rtl_model.cpp)
target_include_directories(dd_rtl_models PRIVATE ${CMAKE_SOURCE_DIR})
# generated code: no warnings (the harness is small; the Verilog is linted by verilator)
target_compile_options(dd_rtl_models PRIVATE -w)
set(DD_RTL_CONFIGS "kv260:-GOCT=32 -GMUL_DSP=1 -GIB_AW=12 -GWB_AW=9 -GOB_AW=10 -GFB_AW=10"
                   "z7020:-GOCT=16 -GMUL_DSP=0 -GIB_AW=12 -GWB_AW=9 -GOB_AW=10 -GFB_AW=10"
                   "tiny:-GOCT=4 -GMUL_DSP=0 -GIB_AW=11 -GWB_AW=9 -GOB_AW=9 -GFB_AW=10")
# the configurations to build models of (the sanitizer configuration builds tiny only)
set(DD_RTL_MODELS "kv260;z7020;tiny" CACHE STRING "RTL configurations built into the rtlsim backend")
foreach(entry ${DD_RTL_CONFIGS})
  string(REPLACE ":" ";" parts "${entry}")
  list(GET parts 0 cfg)
  list(GET parts 1 params)
  if(NOT cfg IN_LIST DD_RTL_MODELS)
    continue()
  endif()
  separate_arguments(params)
  string(TOUPPER ${cfg} CFG)
  verilate(dd_rtl_models
    SOURCES ${DD_RTL_SOURCES}
    TOP_MODULE dd_accel
    PREFIX Vdd_accel_${cfg}
    DIRECTORY ${CMAKE_BINARY_DIR}/rtl/${cfg}
    VERILATOR_ARGS -Wno-fatal -Wno-WIDTH -Wno-UNUSED -Wno-SYMRSVDWORD ${params} -O3
    OPT_FAST -O2)
  target_compile_definitions(dd_rtl_models PRIVATE DD_RTL_HAVE_${CFG}=1)
endforeach()
target_sources(dd_accel PRIVATE accel/rtl/rtlsim_backend.c)
target_compile_definitions(dd_accel PUBLIC DD_WITH_RTLSIM=1)
target_link_libraries(dd_accel PUBLIC dd_rtl_models)
