// Words shared by the timetable, the ledger, the inventory and the CLI.
#pragma once

namespace mimamori::collector {

/// Which of the spec's two reporting tables an incident falls under
/// (MONITORING-SPEC.md section 4).
enum class IncidentScope {
  kPlatform,  ///< 基盤全体の障害: failure of the whole platform ("platform")
  kVm,        ///< particular VMs failing because of the platform ("vm")
};

/// Section 3: "high" when urgency is high, otherwise "low". May change while
/// the incident is open.
enum class Priority { kHigh, kLow };

}  // namespace mimamori::collector
