// Recovery-completion targets (復旧完了目標, spec section 2): A within 60 min,
// B within 4 h, C by the next business day, all configurable
// (alerting.recovery_targets). Computed from the incident's level and
// detection time each time they are needed rather than stored, so the CLI,
// /metrics and the monthly report always agree with the inventory in force.
#pragma once

#include <optional>
#include <string_view>

#include "collector/calendar/business_calendar.h"
#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

enum class RecoveryTargetState {
  kNone,     ///< no target: requests and questions are not failures
  kPending,  ///< open, target still ahead
  kPast,     ///< open, target passed: needs attention now
  kMet,      ///< recovered by the target
  kMissed,   ///< recovered after the target
};

std::string_view ToString(
    RecoveryTargetState state);  ///< "none", "pending", "past", "met", "missed"

struct RecoveryTargetStatus {
  RecoveryTargetState state = RecoveryTargetState::kNone;
  std::optional<TimePoint> due;  ///< when recovery must be complete; nullopt with kNone
};

/// The target of `incident` at `now`. Recovery is Incident::RecoveredAt()
/// (the operator's provisional close, else the close). Only class "trouble"
/// has a target.
RecoveryTargetStatus RecoveryTargetOf(const Incident& incident, const RecoveryTargets& targets,
                                      const BusinessCalendar& calendar, TimePoint now);

}  // namespace mimamori::collector
