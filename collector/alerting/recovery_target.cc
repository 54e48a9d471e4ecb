#include "collector/alerting/recovery_target.h"

namespace mimamori::collector {

std::string_view ToString(RecoveryTargetState state) {
  switch (state) {
    case RecoveryTargetState::kNone:
      return "none";
    case RecoveryTargetState::kPending:
      return "pending";
    case RecoveryTargetState::kPast:
      return "past";
    case RecoveryTargetState::kMet:
      return "met";
    case RecoveryTargetState::kMissed:
      return "missed";
  }
  return "none";
}

RecoveryTargetStatus RecoveryTargetOf(const Incident& incident, const RecoveryTargets& targets,
                                      const BusinessCalendar& calendar, TimePoint now) {
  if (incident.incident_class != "trouble") return {};
  const RecoveryTarget& target = targets.For(incident.service_level);
  const TimePoint due = target.within ? incident.detected_at + *target.within
                                      : calendar.NextBusinessDayClose(incident.detected_at);
  if (const auto recovered = incident.RecoveredAt()) {
    return {*recovered <= due ? RecoveryTargetState::kMet : RecoveryTargetState::kMissed, due};
  }
  return {now < due ? RecoveryTargetState::kPending : RecoveryTargetState::kPast, due};
}

}  // namespace mimamori::collector
