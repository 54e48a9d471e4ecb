// Hardware monitoring (spec section 7: "monitoring of ESXi hosts also covers
// hardware"): the device and sensor states a node's SNMP agent reports.
//
//   HOST-RESOURCES-MIB hrDeviceTable: hrDeviceDescr (.1.3.6.1.2.1.25.3.2.1.3)
//     and hrDeviceStatus (.5): unknown(1) running(2) warning(3) testing(4)
//     down(5). ESXi's agent lists its processors, NICs, storage adapters and
//     its CIM health as such rows; Net-SNMP's snmpd its CPUs and NICs.
//   ENTITY-SENSOR-MIB entPhySensorOperStatus (.1.3.6.1.2.1.99.1.1.1.5):
//     ok(1) unavailable(2) nonoperational(3), named by ENTITY-MIB
//     entPhysicalName (.1.3.6.1.2.1.47.1.1.1.1.7) of the same index, where
//     the agent serves them (storage arrays, some ESXi builds).
#pragma once

#include <memory>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// One "hardware" monitor for `node` when node.hardware is set (the loader
/// sets it for esxi-host, storage and monitoring-server), else none.
/// Interval inventory.defaults.intervals.hardware, failure threshold
/// inventory.defaults.failures.hardware; SNMP target node.address with
/// node.snmp. CheckCount() is 1: one walk covers every device.
///
/// Each check is ONE walk of the four columns. Results, one per row:
/// "hardware:<hrDeviceDescr>" and "hardware:sensor <entPhysicalName>" (a name seen
/// twice gets "#<index>"). running/ok are OK; warning, testing and
/// unavailable WARNING; down and nonoperational CRITICAL; the reason names
/// the device and its state. hrDeviceStatus unknown(1) is OK with a reason
/// saying so: the agent cannot tell, which is no failure of the device
/// (reading). Rows whose name fully matches a node.hardware_ignore pattern
/// (RE2) give no result. A failed walk makes the devices seen last UNKNOWN
/// (or one "hardware" result when none was seen); so does an agent that
/// serves neither table. Measurement mimamori_hardware_status{device} with
/// the raw state number.
///
/// Thread-safety: as Monitor; `done` runs on the SNMP client's thread. The
/// monitor may be destroyed while a check runs.
std::vector<std::unique_ptr<Monitor>> MakeHardwareMonitors(const Node& node,
                                                           const Inventory& inventory,
                                                           MonitorServices& services);

}  // namespace mimamori::collector
