// What a report says: the values its template is filled with, worked out
// from what the ledger recorded about the incident. Kept apart from the
// actions so the wording can be tested on a timeline alone.
#pragma once

#include <chrono>
#include <string>

#include "collector/alerting/incident_actions.h"
#include "collector/alerting/mail_templates.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

/// The deadline of reports that are not on the spec's timetable but follow
/// an event (a progress note's continuing report, the final report, work and
/// suppression notices): the spec asks for them "as close as possible to the
/// moment" without a number, so they are due this long after the event and
/// their lateness is visible like any other report's.
inline constexpr std::chrono::minutes kPromptReportDeadline{5};

/// Every value an incident report's template may use: platform_name,
/// incident_id, occurred_at (detection), affected_vms (one "- vm (system,
/// host)" line each, or the incident's nodes when no VM is recorded),
/// symptom (the latest state of each monitor), business_impact,
/// expected_recovery, presumed_cause (the latest value an operator gave with
/// a note; absent otherwise so the template says 調査中/未定), actions (the
/// operators' timeline, one dated line each) and recovered_at when closed.
MailValues ReportValues(const IncidentTimeline& timeline, const Inventory& inventory);

/// A progress note with its facts, as stored in the timeline's event text:
/// the note, then one "[業務への影響] ..." style line per fact given.
std::string EncodeProgressNote(const std::string& text, const ProgressFacts& facts);

/// The inverse: the note's own text and its facts.
struct DecodedNote {
  std::string text;
  ProgressFacts facts;
};
DecodedNote DecodeProgressNote(const std::string& stored);

}  // namespace mimamori::collector
