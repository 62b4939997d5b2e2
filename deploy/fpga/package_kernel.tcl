# Packages the RTL accelerator (accel/rtl) as a Vitis RTL kernel (.xo). NOT RUN on this
# project's machines (no Vivado): the recipe of deploy/fpga/README.md.
# usage: vivado -mode batch -source deploy/fpga/package_kernel.tcl \
#            -tclargs OUT_DIR RTL_DIR PART GENERICS
#   e.g. build-fpga accel/rtl xck26-sfvc784-2LV-c "OCT=32 MUL_DSP=1"      (kv260)
#        build-fpga accel/rtl xc7z020clg400-1    "OCT=16 MUL_DSP=0"      (z7020)
set out [lindex $argv 0]
set src [lindex $argv 1]
set part [lindex $argv 2]
set generics [lindex $argv 3]
create_project -force dd_kernel_pack $out/pack -part $part
add_files [glob $src/dd_*.v]
set_property top dd_accel [current_fileset]
set_property generic $generics [current_fileset]
update_compile_order -fileset sources_1
ipx::package_project -root_dir $out/ip -vendor detectd -library kernel -taxonomy /KernelIP \
    -import_files -set_current false
ipx::unload_core $out/ip/component.xml
ipx::edit_ip_in_project -upgrade true -name dd_kernel_edit -directory $out/ip $out/ip/component.xml
set core [ipx::current_core]
# every interface on the kernel clock; the control port's reset is active low (ap_rst_n)
foreach bus {s_axi_control m_axi_gmem0 m_axi_gmem1 m_axi_gmem2 m_axi_gmem3} {
    ipx::associate_bus_interfaces -busif $bus -clock ap_clk $core
}
set_property sdx_kernel true $core
set_property sdx_kernel_type rtl $core
set_property ipi_drc {ignore_freq_hz true} $core
ipx::update_checksums $core
ipx::save_core $core
close_project -delete
package_xo -xo_path $out/dd_accel_kernel.xo -kernel_name dd_accel_kernel -ip_directory $out/ip \
    -kernel_xml [file dirname [info script]]/kernel.xml -ctrl_protocol ap_ctrl_hs
