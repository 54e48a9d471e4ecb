// Windows service monitoring (Windowsサービス監視): is each listed service of
// a node Running? Spec section 1: every 5 min, through WinRM; a state other
// than Running (実行中) is a failure.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collector/core/monitor.h"
#include "mimamori/proto/oid.h"

namespace mimamori::collector {

/// mimamoriServiceTable of our Windows agent (MIMAMORI-MIB): entry .1,
/// INDEX the service key name as a length-prefixed OCTET STRING; columns
/// .1 name, .2 display name, .3 state, .4 start type.
inline const proto::Oid kMimamoriServiceEntry{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3863, 2, 2, 1};
/// kMimamoriServiceEntry.<column>.<length>.<byte>... for `service`.
proto::Oid ServiceTableOid(std::uint32_t column, const std::string& service);

/// One "service" monitor for a node with services, none otherwise. Each
/// check reads every service at once and reports, in inventory order, one
/// result named "service:<name>":
///   - via winrm (default): one WS-Transfer Get of Win32_Service selected
///     by Name per service (GetWindowsService, through services.http), with
///     the service's user, password, port, protocol, TLS settings, timeout
///     and retries;
///   - via snmp: one SNMP Get of the state and start type columns of
///     mimamoriServiceTable for all such services of the node (through
///     services.snmp, with the node's snmp settings).
/// Both give the same verdicts:
///   - OK "service W3SVC is Running (StartMode Auto)";
///   - CRITICAL "service W3SVC is Stopped (StartMode Auto)" for any other
///     state (Stopped, Start Pending, Stop Pending, Continue Pending, Pause
///     Pending, Paused, Unknown), spelled as Win32_Service.State spells it;
///     SNMP states and start types are translated to those words;
///   - CRITICAL "service FOO does not exist on win01 (...)" when WinRM
///     answers the fault w:InvalidSelectors or the agent has no such row;
///   - UNKNOWN when the state could not be read (HTTP 401, TLS error,
///     connection refused, timeout, another SOAP fault, malformed XML, an
///     unreadable password file, an SNMP timeout), with a reason naming the
///     endpoint and the cause, e.g. "cannot read service W3SVC: WinRM
///     http://10.0.0.5:5985/wsman: no answer within 5 s (2 attempts)".
/// Measurement: mimamori_service_up{service} 1 when Running, 0 when in
/// another state or missing; none when UNKNOWN. No password ever appears in
/// a reason or label.
///
/// The monitor copies what it needs from `node`; `services` must outlive
/// it. A check still running when the monitor is destroyed completes safely.
std::vector<std::unique_ptr<Monitor>> MakeServiceMonitors(const Node& node,
                                                          const Inventory& inventory,
                                                          MonitorServices& services);

}  // namespace mimamori::collector
