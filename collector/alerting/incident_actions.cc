#include "collector/alerting/incident_actions.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "collector/alerting/mail_message.h"
#include "collector/alerting/report_wording.h"

namespace mimamori::collector {
namespace {

MailKind MailKindOf(ReportKind kind) {
  switch (kind) {
    case ReportKind::kFirst:
      return MailKind::kFirstReport;
    case ReportKind::kContinuing:
      return MailKind::kContinuingReport;
    case ReportKind::kFinal:
      return MailKind::kFinalReport;
    case ReportKind::kWorkStart:
      return MailKind::kWorkStart;
    case ReportKind::kWorkDone:
      return MailKind::kWorkDone;
    case ReportKind::kSuppressionStart:
      return MailKind::kSuppressionStart;
    case ReportKind::kMonitoringResumed:
      return MailKind::kMonitoringResumed;
  }
  return MailKind::kFirstReport;
}

ServiceLevel LevelFromName(const std::string& name) {
  if (name == "B") return ServiceLevel::kB;
  if (name == "C") return ServiceLevel::kC;
  if (name == "C-dev") return ServiceLevel::kCDev;
  return ServiceLevel::kA;
}

void AddOwners(const std::vector<Owner>& people, std::vector<std::string>& mail,
               std::vector<std::string>& phone, std::set<std::string>& seen_mail,
               std::set<std::string>& seen_phone) {
  for (const Owner& p : people) {
    if (!p.mail.empty() && seen_mail.insert(p.mail).second) mail.push_back(p.mail);
    // A phone duty names whom to call even when no number is on file, so the
    // person on duty can look it up rather than skip them.
    std::string target = p.phone.empty() ? p.name : p.name + " <" + p.phone + ">";
    if (!target.empty() && seen_phone.insert(target).second) phone.push_back(target);
  }
}

LedgerError Refused(LedgerErrorKind kind, std::string message) {
  return {kind, std::move(message)};
}

LedgerResult<Incident> OpenIncidentOrRefuse(Ledger& ledger, IncidentId id) {
  auto incident = ledger.GetIncident(id);
  if (!incident) return incident.error();
  if (incident->status != IncidentStatus::kOpen) {
    return Refused(LedgerErrorKind::kWrongState,
                   "incident " + std::to_string(id) + ": already closed");
  }
  return incident;
}

}  // namespace

std::optional<AlertingContext> AlertingContext::Make(std::shared_ptr<const Inventory> inventory,
                                                     std::string message_domain,
                                                     std::vector<std::string>& errors) {
  auto loaded = MailTemplates::Load(inventory->alerting.templates);
  if (!loaded.templates) {
    errors.insert(errors.end(), loaded.errors.begin(), loaded.errors.end());
    return std::nullopt;
  }
  AlertingContext ctx;
  ctx.calendar = std::make_shared<const BusinessCalendar>(inventory->calendar);
  ctx.templates = std::make_shared<const MailTemplates>(std::move(*loaded.templates));
  ctx.inventory = std::move(inventory);
  if (!message_domain.empty()) ctx.message_domain = std::move(message_domain);
  return ctx;
}

ReportPlan PlanFor(const Incident& incident, const BusinessCalendar& calendar) {
  return PlanReports(incident.scope, LevelFromName(incident.service_level), incident.priority,
                     incident.detected_at, calendar);
}

Recipients RecipientsFor(const IncidentTimeline& timeline, const Inventory& inventory) {
  Recipients out;
  std::set<std::string> seen_mail, seen_phone;
  AddOwners(inventory.alerting.platform_managers, out.mail, out.phone, seen_mail, seen_phone);

  // The systems affected now: a VM still in the inventory is looked up
  // afresh (its system or host may have changed since it was recorded);
  // one that is gone keeps the system recorded with it.
  std::vector<std::string> systems;
  auto add_system_of = [&](const std::string& node, const std::string& recorded) {
    const Node* n = inventory.FindNode(node);
    const std::string& system = n ? n->system : recorded;
    if (!system.empty() && std::find(systems.begin(), systems.end(), system) == systems.end()) {
      systems.push_back(system);
    }
  };
  for (const AffectedVm& vm : timeline.affected_vms) add_system_of(vm.vm, vm.system);
  for (const IncidentMonitor& m : timeline.monitors) add_system_of(m.node, m.system);
  for (const std::string& name : systems) {
    if (const System* system = inventory.FindSystem(name)) {
      AddOwners(system->owners, out.mail, out.phone, seen_mail, seen_phone);
    }
  }
  AddOwners(inventory.alerting.ict_service_center, out.mail, out.phone, seen_mail, seen_phone);
  return out;
}

LedgerResult<std::vector<ReportId>> QueueIncidentReport(Ledger& ledger, const AlertingContext& ctx,
                                                        IncidentId id, const ReportRequest& request,
                                                        TimePoint now) {
  std::vector<ReportId> ids;
  if (!request.channels.mail && !request.channels.phone) return ids;
  auto timeline = ledger.Timeline(id);
  if (!timeline) return timeline.error();
  // The timetable is for failures: a request or a question opened by an
  // operator is recorded and handled, not reported (spec section 4).
  if (timeline->incident.incident_class != "trouble") return ids;
  auto number = ledger.NextReportNumber(id);
  if (!number) return number.error();

  MailValues values = ReportValues(*timeline, *ctx.inventory);
  for (const auto& [k, v] : request.extra) values[k] = v;
  // Only the fields this kind of mail has: the template refuses others.
  MailValues used;
  for (const MailField& field : FieldsOf(MailKindOf(request.kind))) {
    if (auto it = values.find(field.name); it != values.end()) used.emplace(it->first, it->second);
  }
  RenderedMail mail = ctx.templates->Render(MailKindOf(request.kind), used);
  if (!mail.ok()) {
    return Refused(LedgerErrorKind::kInvalidArgument, "incident " + std::to_string(id) + ": " +
                                                          std::string(ToString(request.kind)) +
                                                          " report: " + mail.error);
  }
  Recipients to = RecipientsFor(*timeline, *ctx.inventory);
  const std::string incident_text = std::to_string(id);

  auto queue = [&](Channel channel, std::vector<std::string> recipients,
                   std::string message_id) -> LedgerStatus {
    NewReport report;
    report.incident_id = id;
    report.report_number = *number;
    report.kind = request.kind;
    report.channel = channel;
    report.recipients = std::move(recipients);
    report.subject = mail.subject;
    report.body = mail.body;
    report.message_id = std::move(message_id);
    report.due_at = request.due_at;
    report.created_at = now;
    auto queued = ledger.EnqueueReport(report);
    if (!queued) return queued.error();
    ids.push_back(*queued);
    return std::nullopt;
  };
  if (request.channels.phone) {
    const std::string local =
        "incident-" + incident_text + ".report-" + std::to_string(*number) + ".phone";
    if (auto e = queue(Channel::kPhone, to.phone, MessageId(local, ctx.message_domain))) return *e;
  }
  if (request.channels.mail) {
    if (to.mail.empty()) {
      return Refused(LedgerErrorKind::kInvalidArgument,
                     "incident " + incident_text +
                         ": no mail recipients (set alerting.platform_managers, "
                         "alerting.ict_service_center or the systems' owners)");
    }
    if (auto e = queue(Channel::kMail, to.mail,
                       ReportMessageId(incident_text, *number, ctx.message_domain))) {
      return *e;
    }
  }
  return ids;
}

LedgerStatus AcknowledgeIncident(Ledger& ledger, IncidentId id, const std::string& actor,
                                 const std::string& text, TimePoint now) {
  return ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    auto incident = OpenIncidentOrRefuse(l, id);
    if (!incident) return incident.error();
    return l.Acknowledge(id, now, actor, text);
  });
}

LedgerResult<std::optional<ReportId>> AddProgressNote(Ledger& ledger, const AlertingContext& ctx,
                                                      IncidentId id, const std::string& actor,
                                                      const std::string& text,
                                                      const ProgressFacts& facts, TimePoint now) {
  std::optional<ReportId> queued;
  LedgerStatus status = ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    auto incident = OpenIncidentOrRefuse(l, id);
    if (!incident) return incident.error();
    IncidentEvent event;
    event.incident_id = id;
    event.at = now;
    event.kind = EventKind::kProgress;
    event.actor = actor;
    event.text = EncodeProgressNote(text, facts);
    if (auto e = l.AppendEvent(event); !e) return e.error();
    ReportPlan plan = PlanFor(*incident, *ctx.calendar);
    if (plan.continuing.kind != ContinuingKind::kOnProgress) return std::nullopt;
    ReportRequest request{
        ReportKind::kContinuing, plan.continuing.channels, now + kPromptReportDeadline, {}};
    auto ids = QueueIncidentReport(l, ctx, id, request, now);
    if (!ids) return ids.error();
    if (!ids->empty()) queued = ids->front();
    return std::nullopt;
  });
  if (status) return *status;
  return queued;
}

LedgerStatus QueueOwedFirstReport(Ledger& ledger, const AlertingContext& ctx,
                                  const Incident& incident, TimePoint now) {
  ReportPlan plan = PlanFor(incident, *ctx.calendar);
  if (!plan.first) return std::nullopt;
  auto timeline = ledger.Timeline(incident.id);
  if (!timeline) return timeline.error();
  for (const Report& r : timeline->reports) {
    if (r.kind == ReportKind::kFirst) return std::nullopt;
  }
  ReportRequest request{
      ReportKind::kFirst, plan.first->channels, *FirstReportDue(plan, incident.detected_at), {}};
  auto ids = QueueIncidentReport(ledger, ctx, incident.id, request, now);
  if (!ids) return ids.error();
  return std::nullopt;
}

LedgerStatus ChangeIncidentPriority(Ledger& ledger, const AlertingContext& ctx, IncidentId id,
                                    Priority priority, const std::string& actor,
                                    const std::string& reason, TimePoint now) {
  return ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    auto incident = OpenIncidentOrRefuse(l, id);
    if (!incident) return incident.error();
    if (auto e = l.ChangePriority(id, priority, now, actor, reason)) return e;
    incident->priority = priority;
    return QueueOwedFirstReport(l, ctx, *incident, now);
  });
}

LedgerStatus CloseIncidentByOperator(Ledger& ledger, const AlertingContext& ctx, IncidentId id,
                                     const std::string& actor, const std::string& text,
                                     TimePoint now) {
  return ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    auto incident = OpenIncidentOrRefuse(l, id);
    if (!incident) return incident.error();
    return CloseAndReport(l, ctx, *incident, now, actor, text);
  });
}

LedgerStatus CloseAndReport(Ledger& ledger, const AlertingContext& ctx, const Incident& incident,
                            TimePoint at, const std::string& actor, const std::string& text) {
  if (auto e = ledger.CloseIncident(incident.id, at, actor, text)) return e;
  ReportPlan plan = PlanFor(incident, *ctx.calendar);
  ReportRequest request{ReportKind::kFinal, plan.final_report, at + kPromptReportDeadline, {}};
  auto ids = QueueIncidentReport(ledger, ctx, incident.id, request, at);
  if (!ids) return ids.error();
  return std::nullopt;
}

LedgerResult<ReportId> AnnounceWork(Ledger& ledger, const AlertingContext& ctx, IncidentId id,
                                    const std::string& actor, const WorkNotice& notice,
                                    TimePoint now) {
  ReportId queued = 0;
  LedgerStatus status = ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    auto incident = l.GetIncident(id);
    if (!incident) return incident.error();
    const TimePoint at = notice.work_at.value_or(now);
    IncidentEvent event;
    event.incident_id = id;
    event.at = now;
    event.kind = notice.done ? EventKind::kWorkDone : EventKind::kWorkStart;
    event.actor = actor;
    event.text = std::string(notice.done ? "復旧作業完了" : "復旧作業開始") + " " +
                 FormatReportTime(at) + " 担当: " + notice.worker + " / 内容: " + notice.content +
                 " / 業務影響: " + notice.impact;
    if (auto e = l.AppendEvent(event); !e) return e.error();
    ReportRequest request{notice.done ? ReportKind::kWorkDone : ReportKind::kWorkStart,
                          kMailOnly,
                          now + kPromptReportDeadline,
                          {{"work_at", FormatReportTime(at)},
                           {"worker", notice.worker},
                           {"work_content", notice.content},
                           {"business_impact", notice.impact}}};
    auto ids = QueueIncidentReport(l, ctx, id, request, now);
    if (!ids) return ids.error();
    queued = ids->front();
    return std::nullopt;
  });
  if (status) return *status;
  return queued;
}

LedgerResult<SuppressionId> AddSuppressionWindow(Ledger& ledger, const Inventory& inventory,
                                                 const NewSuppression& suppression) {
  const bool known = suppression.target_kind == SuppressionTarget::kNode
                         ? inventory.FindNode(suppression.target) != nullptr
                         : inventory.FindSystem(suppression.target) != nullptr;
  if (!known) {
    return Refused(LedgerErrorKind::kInvalidArgument,
                   std::string(ToString(suppression.target_kind)) + " \"" + suppression.target +
                       "\" is not in the inventory " + inventory.source);
  }
  return ledger.AddSuppression(suppression);
}

LedgerStatus CancelSuppressionWindow(Ledger& ledger, SuppressionId id, TimePoint now) {
  return ledger.CancelSuppression(id, now);
}

LedgerResult<IncidentId> OpenIncidentByOperator(Ledger& ledger, const AlertingContext& ctx,
                                                const ManualIncident& manual, TimePoint now) {
  const Inventory& inv = *ctx.inventory;
  const Node* node = manual.node.empty() ? nullptr : inv.FindNode(manual.node);
  if (!manual.node.empty() && node == nullptr) {
    return Refused(LedgerErrorKind::kNotFound,
                   "open incident: node " + manual.node + " is not in the inventory");
  }
  NewIncident in;
  in.scope = node ? IncidentScope::kVm : IncidentScope::kPlatform;
  in.title = manual.title;
  in.priority = manual.priority;
  in.service_level = node ? std::string(ServiceLevelName(inv.LevelOf(*node))) : "";
  in.detected_at = manual.detected_at.value_or(now);
  in.opened_at = now;
  in.opened_by = manual.actor;
  in.text = manual.text.empty() ? manual.title : manual.text;
  in.incident_class = manual.incident_class;
  in.cause = manual.cause;
  IncidentId id = 0;
  LedgerStatus status = ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    auto opened = l.OpenIncident(in);
    if (!opened) return opened.error();
    id = *opened;
    // The node's owners get the reports, as for a monitored failure.
    if (node) {
      if (auto e = l.AddAffectedVm({id, node->name, node->system, node->host, now})) return e;
    }
    auto row = l.GetIncident(id);
    if (!row) return row.error();
    return QueueOwedFirstReport(l, ctx, *row, now);
  });
  if (status) return *status;
  return id;
}

LedgerStatus ProvisionallyCloseIncident(Ledger& ledger, IncidentId id, const std::string& actor,
                                        const std::string& text, TimePoint now) {
  return ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    auto incident = OpenIncidentOrRefuse(l, id);
    if (!incident) return incident.error();
    return l.ProvisionalClose(id, now, actor, text);
  });
}

}  // namespace mimamori::collector
