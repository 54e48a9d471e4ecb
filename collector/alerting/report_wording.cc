#include "collector/alerting/report_wording.h"

#include <algorithm>
#include <map>
#include <utility>

namespace mimamori::collector {
namespace {

constexpr std::string_view kImpactTag = "[業務への影響] ";
constexpr std::string_view kRecoveryTag = "[復旧予定時間] ";
constexpr std::string_view kCauseTag = "[想定される原因] ";

std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

std::string_view EventWord(EventKind kind) {
  switch (kind) {
    case EventKind::kOpened:
      return "検知";
    case EventKind::kStateChange:
      return "状態変化";
    case EventKind::kPriorityChange:
      return "優先度変更";
    case EventKind::kAcknowledged:
      return "受付";
    case EventKind::kProgress:
      return "経過";
    case EventKind::kWorkStart:
      return "作業開始";
    case EventKind::kWorkDone:
      return "作業完了";
    case EventKind::kClosed:
      return "復旧";
    case EventKind::kProvisionalClose:
      return "仮クローズ";
    case EventKind::kCauseChange:
      return "原因区分";
  }
  return "";
}

}  // namespace

std::string EncodeProgressNote(const std::string& text, const ProgressFacts& facts) {
  std::string out = text;
  auto add = [&](std::string_view tag, const std::string& value) {
    if (value.empty()) return;
    out += '\n';
    out += tag;
    out += OneLine(value);
  };
  add(kImpactTag, facts.business_impact);
  add(kRecoveryTag, facts.expected_recovery);
  add(kCauseTag, facts.presumed_cause);
  return out;
}

DecodedNote DecodeProgressNote(const std::string& stored) {
  DecodedNote out;
  std::size_t start = 0;
  bool first = true;
  while (start <= stored.size()) {
    std::size_t end = stored.find('\n', start);
    if (end == std::string::npos) end = stored.size();
    std::string_view line(stored.data() + start, end - start);
    if (line.starts_with(kImpactTag)) {
      out.facts.business_impact = line.substr(kImpactTag.size());
    } else if (line.starts_with(kRecoveryTag)) {
      out.facts.expected_recovery = line.substr(kRecoveryTag.size());
    } else if (line.starts_with(kCauseTag)) {
      out.facts.presumed_cause = line.substr(kCauseTag.size());
    } else {
      if (!first) out.text += '\n';
      out.text += line;
      first = false;
    }
    start = end + 1;
  }
  return out;
}

MailValues ReportValues(const IncidentTimeline& timeline, const Inventory& inventory) {
  const Incident& incident = timeline.incident;
  MailValues v;
  v["platform_name"] = inventory.platform_name;
  v["incident_id"] = std::to_string(incident.id);
  v["occurred_at"] = FormatReportTime(incident.detected_at);

  std::string vms;
  for (const AffectedVm& vm : timeline.affected_vms) {
    vms += "- " + vm.vm;
    std::string where = vm.system;
    if (!vm.host.empty()) where += (where.empty() ? "" : ", ") + ("ホスト " + vm.host);
    if (!where.empty()) vms += " (" + where + ")";
    vms += '\n';
  }
  if (vms.empty()) {
    std::vector<std::string> nodes;
    for (const IncidentMonitor& m : timeline.monitors) {
      if (std::find(nodes.begin(), nodes.end(), m.node) == nodes.end()) nodes.push_back(m.node);
    }
    for (const std::string& n : nodes) vms += "- " + n + '\n';
  }
  if (!vms.empty()) vms.pop_back();
  v["affected_vms"] = vms.empty() ? "(なし)" : vms;

  // The symptom: each monitor's latest recorded failure, in the order the
  // monitors joined; the opening text when nothing is recorded.
  std::map<std::pair<std::string, std::string>, std::string> latest;
  std::string opened_text;
  ProgressFacts facts;
  std::string actions;
  for (const IncidentEvent& e : timeline.events) {
    switch (e.kind) {
      case EventKind::kOpened:
        opened_text = e.text;
        break;
      case EventKind::kStateChange:
        // The symptom is the failure, not its recovery (nor "could not
        // judge"): a final report would otherwise read "CRITICAL → OK".
        // Rows before ledger v3 carry no status and count as they are.
        if (!e.to_status || *e.to_status == Status::kWarning || *e.to_status == Status::kCritical) {
          latest[{e.node, e.monitor}] = e.text;
        }
        break;
      case EventKind::kProgress: {
        DecodedNote note = DecodeProgressNote(e.text);
        if (!note.facts.business_impact.empty()) facts.business_impact = note.facts.business_impact;
        if (!note.facts.expected_recovery.empty()) {
          facts.expected_recovery = note.facts.expected_recovery;
        }
        if (!note.facts.presumed_cause.empty()) facts.presumed_cause = note.facts.presumed_cause;
        actions += FormatReportTime(e.at) + " " + std::string(EventWord(e.kind)) + " (" + e.actor +
                   ") " + OneLine(note.text) + '\n';
        break;
      }
      case EventKind::kAcknowledged:
      case EventKind::kWorkStart:
      case EventKind::kWorkDone:
      case EventKind::kPriorityChange:
      case EventKind::kProvisionalClose:
      case EventKind::kCauseChange:
        actions += FormatReportTime(e.at) + " " + std::string(EventWord(e.kind)) + " (" + e.actor +
                   ") " + OneLine(e.text) + '\n';
        break;
      case EventKind::kClosed:
        break;
    }
  }
  std::string symptom;
  for (const IncidentMonitor& m : timeline.monitors) {
    if (auto it = latest.find({m.node, m.monitor}); it != latest.end()) {
      symptom += m.node + " " + m.monitor + ": " + it->second + '\n';
    }
  }
  if (symptom.empty()) symptom = opened_text;
  if (!symptom.empty() && symptom.back() == '\n') symptom.pop_back();
  v["symptom"] = symptom.empty() ? incident.title : symptom;
  if (!facts.business_impact.empty()) v["business_impact"] = facts.business_impact;
  if (!facts.expected_recovery.empty()) v["expected_recovery"] = facts.expected_recovery;
  if (!facts.presumed_cause.empty()) v["presumed_cause"] = facts.presumed_cause;
  if (!actions.empty()) {
    actions.pop_back();
    v["actions"] = actions;
  }
  if (incident.closed_at) v["recovered_at"] = FormatReportTime(*incident.closed_at);
  return v;
}

}  // namespace mimamori::collector
