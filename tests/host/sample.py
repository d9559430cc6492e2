"""A hand-written ``nvidia-smi -q -x`` document in the real shape, for the parser tests.

Shape: element names, order and nesting as in public ``nvidia-smi -q -x`` captures of 550-series
drivers (DTD ``nvsmi_device_v12.dtd``) and the GPU struct of NVIDIA/cloud-native-stack
(``pkg/collector/gpu``); values from ``shared/reference/firmware-baselines.md`` sec. 2.1 (H800 VBIOS
``96.00.51.00.0E``, InfoROM ``G520.0205.00.02``, OEM 2.1 / ECC 7.16, GSP firmware = driver version)
and the HGX H100 examples (``96.00.BC.00.01``, ``G520.0200.00.05``).  Sensor sections the collector
does not read are abbreviated.  Serials follow NVIDIA's own scrubbed-capture convention (165000000xxxx).

GPU 0: H100 SXM, CC protected memory 0 MiB (CC off), MIG disabled, ``<gpu_module_id>``.
GPU 1: H800, serial N/A, MIG enabled, CC protected memory > 0 (CC on), module id only under
       ``<platformInfo>`` (newer drivers), GSP firmware N/A (GSP disabled on this GPU).
"""

SAMPLE = b"""<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
\t<timestamp>Tue Jun 11 09:12:44 2024</timestamp>
\t<driver_version>550.90.07</driver_version>
\t<cuda_version>12.4</cuda_version>
\t<attached_gpus>2</attached_gpus>
\t<gpu id="00000000:18:00.0">
\t\t<product_name>NVIDIA H100 80GB HBM3</product_name>
\t\t<product_brand>NVIDIA</product_brand>
\t\t<product_architecture>Hopper</product_architecture>
\t\t<display_mode>Disabled</display_mode>
\t\t<display_active>Disabled</display_active>
\t\t<persistence_mode>Enabled</persistence_mode>
\t\t<addressing_mode>None</addressing_mode>
\t\t<mig_mode>
\t\t\t<current_mig>Disabled</current_mig>
\t\t\t<pending_mig>Disabled</pending_mig>
\t\t</mig_mode>
\t\t<mig_devices>
\t\t\tNone
\t\t</mig_devices>
\t\t<accounting_mode>Disabled</accounting_mode>
\t\t<accounting_mode_buffer_size>4000</accounting_mode_buffer_size>
\t\t<driver_model>
\t\t\t<current_dm>N/A</current_dm>
\t\t\t<pending_dm>N/A</pending_dm>
\t\t</driver_model>
\t\t<serial>1650000000001</serial>
\t\t<uuid>GPU-00000001-0000-0000-0000-000000000001</uuid>
\t\t<minor_number>0</minor_number>
\t\t<vbios_version>96.00.BC.00.01</vbios_version>
\t\t<multigpu_board>No</multigpu_board>
\t\t<board_id>0x1800</board_id>
\t\t<board_part_number>692-2G520-0200-000</board_part_number>
\t\t<gpu_part_number>2330-885-A1</gpu_part_number>
\t\t<gpu_fru_part_number>N/A</gpu_fru_part_number>
\t\t<gpu_module_id>2</gpu_module_id>
\t\t<inforom_version>
\t\t\t<img_version>G520.0200.00.05</img_version>
\t\t\t<oem_object>2.1</oem_object>
\t\t\t<ecc_object>7.16</ecc_object>
\t\t\t<pwr_object>N/A</pwr_object>
\t\t</inforom_version>
\t\t<inforom_bbx_flush>
\t\t\t<latest_timestamp>N/A</latest_timestamp>
\t\t\t<latest_duration>N/A</latest_duration>
\t\t</inforom_bbx_flush>
\t\t<gpu_operation_mode>
\t\t\t<current_gom>N/A</current_gom>
\t\t\t<pending_gom>N/A</pending_gom>
\t\t</gpu_operation_mode>
\t\t<c2c_mode>N/A</c2c_mode>
\t\t<gpu_virtualization_mode>
\t\t\t<virtualization_mode>None</virtualization_mode>
\t\t\t<host_vgpu_mode>N/A</host_vgpu_mode>
\t\t\t<vgpu_heterogeneous_mode>N/A</vgpu_heterogeneous_mode>
\t\t</gpu_virtualization_mode>
\t\t<gpu_reset_status>
\t\t\t<reset_required>No</reset_required>
\t\t\t<drain_and_reset_recommended>N/A</drain_and_reset_recommended>
\t\t</gpu_reset_status>
\t\t<gsp_firmware_version>550.90.07</gsp_firmware_version>
\t\t<ibmnpu>
\t\t\t<relaxed_ordering_mode>N/A</relaxed_ordering_mode>
\t\t</ibmnpu>
\t\t<pci>
\t\t\t<pci_bus>18</pci_bus>
\t\t\t<pci_device>00</pci_device>
\t\t\t<pci_domain>0000</pci_domain>
\t\t\t<pci_base_class>3</pci_base_class>
\t\t\t<pci_sub_class>2</pci_sub_class>
\t\t\t<pci_device_id>233010DE</pci_device_id>
\t\t\t<pci_bus_id>00000000:18:00.0</pci_bus_id>
\t\t\t<pci_sub_system_id>16C110DE</pci_sub_system_id>
\t\t\t<pci_gpu_link_info>
\t\t\t\t<pcie_gen>
\t\t\t\t\t<max_link_gen>5</max_link_gen>
\t\t\t\t\t<current_link_gen>5</current_link_gen>
\t\t\t\t</pcie_gen>
\t\t\t\t<link_widths>
\t\t\t\t\t<max_link_width>16x</max_link_width>
\t\t\t\t\t<current_link_width>16x</current_link_width>
\t\t\t\t</link_widths>
\t\t\t</pci_gpu_link_info>
\t\t</pci>
\t\t<fan_speed>N/A</fan_speed>
\t\t<performance_state>P0</performance_state>
\t\t<fb_memory_usage>
\t\t\t<total>81559 MiB</total>
\t\t\t<reserved>551 MiB</reserved>
\t\t\t<used>0 MiB</used>
\t\t\t<free>81008 MiB</free>
\t\t</fb_memory_usage>
\t\t<bar1_memory_usage>
\t\t\t<total>131072 MiB</total>
\t\t\t<used>1 MiB</used>
\t\t\t<free>131071 MiB</free>
\t\t</bar1_memory_usage>
\t\t<cc_protected_memory_usage>
\t\t\t<total>0 MiB</total>
\t\t\t<used>0 MiB</used>
\t\t\t<free>0 MiB</free>
\t\t</cc_protected_memory_usage>
\t\t<compute_mode>Default</compute_mode>
\t\t<ecc_mode>
\t\t\t<current_ecc>Enabled</current_ecc>
\t\t\t<pending_ecc>Enabled</pending_ecc>
\t\t</ecc_mode>
\t\t<processes>
\t\t</processes>
\t</gpu>
\t<gpu id="00000000:2A:00.0">
\t\t<product_name>NVIDIA H800</product_name>
\t\t<product_architecture>Hopper</product_architecture>
\t\t<mig_mode>
\t\t\t<current_mig>Enabled</current_mig>
\t\t\t<pending_mig>Enabled</pending_mig>
\t\t</mig_mode>
\t\t<serial>N/A</serial>
\t\t<uuid>GPU-00000002-0000-0000-0000-000000000002</uuid>
\t\t<minor_number>1</minor_number>
\t\t<vbios_version>96.00.51.00.0E</vbios_version>
\t\t<platformInfo>
\t\t\t<chassis_serial_number>N/A</chassis_serial_number>
\t\t\t<slot_number>N/A</slot_number>
\t\t\t<tray_index>N/A</tray_index>
\t\t\t<host_id>N/A</host_id>
\t\t\t<peer_type>N/A</peer_type>
\t\t\t<module_id>5</module_id>
\t\t</platformInfo>
\t\t<inforom_version>
\t\t\t<img_version>G520.0205.00.02</img_version>
\t\t\t<oem_object>2.1</oem_object>
\t\t\t<ecc_object>7.16</ecc_object>
\t\t\t<pwr_object>N/A</pwr_object>
\t\t</inforom_version>
\t\t<gsp_firmware_version>N/A</gsp_firmware_version>
\t\t<pci>
\t\t\t<pci_bus>2A</pci_bus>
\t\t\t<pci_device>00</pci_device>
\t\t\t<pci_domain>0000</pci_domain>
\t\t\t<pci_bus_id>00000000:2A:00.0</pci_bus_id>
\t\t</pci>
\t\t<cc_protected_memory_usage>
\t\t\t<total>73728 MiB</total>
\t\t\t<used>0 MiB</used>
\t\t\t<free>73728 MiB</free>
\t\t</cc_protected_memory_usage>
\t</gpu>
</nvidia_smi_log>
"""
