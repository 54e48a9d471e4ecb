// What an operator does to an incident (mimamorictl) and what the collector
// does on its own both end up here: each action is ONE ledger transaction
// holding the timeline entry and every report it makes due, so a report is
// never lost between "it happened" and "it must be told" (see ledger.h).
//
// The collector's outbox sends what these functions queue; the CLI and the
// daemon are separate processes that meet only in the ledger file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collector/alerting/mail_templates.h"
#include "collector/alerting/timetable.h"
#include "collector/calendar/business_calendar.h"
#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

/// Everything needed to word and address a report. Immutable; shared by
/// the engine and the CLI; a reload builds a new one.
struct AlertingContext {
  std::shared_ptr<const Inventory> inventory;
  std::shared_ptr<const BusinessCalendar> calendar;
  std::shared_ptr<const MailTemplates> templates;
  /// Domain of the Message-IDs (the collector's host name).
  std::string message_domain = "mimamori.invalid";

  /// Loads the templates from inventory->alerting.templates; errors name
  /// the file and line. nullopt + errors when anything is wrong.
  static std::optional<AlertingContext> Make(std::shared_ptr<const Inventory> inventory,
                                             std::string message_domain,
                                             std::vector<std::string>& errors);
};

/// The report plan of an open incident as it stands (its scope, level,
/// current priority and ORIGINAL detection time).
ReportPlan PlanFor(const Incident& incident, const BusinessCalendar& calendar);

/// Who gets an incident's reports, derived and never typed per mail: the
/// platform managers, the owners of every affected system (following each
/// VM's current host: an affected VM's system is looked up in the current
/// inventory), and the ICT service center. Mail addresses, deduplicated, in
/// that order. `phone` has "name <phone>" of those with a phone number.
struct Recipients {
  std::vector<std::string> mail;
  std::vector<std::string> phone;
};
Recipients RecipientsFor(const IncidentTimeline& timeline, const Inventory& inventory);

/// Operator actions. `actor` is the operator's name (the CLI passes the
/// login name or --as). Each is one transaction; on any error nothing of it
/// is kept.

LedgerStatus AcknowledgeIncident(Ledger& ledger, IncidentId id, const std::string& actor,
                                 const std::string& text, TimePoint now);

/// Facts an operator reports with a progress note; empty ones keep the
/// value last given (or the template's "調査中"/"未定").
struct ProgressFacts {
  std::string business_impact;    ///< 業務への影響
  std::string expected_recovery;  ///< 復旧予定時間
  std::string presumed_cause;     ///< 想定される原因
};

/// Records a progress note (対応状況). Where the incident's plan has
/// continuing reports "on each progress", queues that continuing report
/// (mail) at once; with hourly or no continuing reports the note only feeds
/// the next report. Returns the id of the queued report, if one was.
LedgerResult<std::optional<ReportId>> AddProgressNote(Ledger& ledger, const AlertingContext& ctx,
                                                      IncidentId id, const std::string& actor,
                                                      const std::string& text,
                                                      const ProgressFacts& facts, TimePoint now);

/// Changes the priority of an open incident; the timetable follows: the
/// plan is recomputed with the original detection time and a first report
/// the new plan owes (and none was queued) is queued now, due at its
/// original deadline (so possibly already late).
LedgerStatus ChangeIncidentPriority(Ledger& ledger, const AlertingContext& ctx, IncidentId id,
                                    Priority priority, const std::string& actor,
                                    const std::string& reason, TimePoint now);

/// Closes an open incident by hand (recovery confirmed by a person) and
/// queues its final report.
LedgerStatus CloseIncidentByOperator(Ledger& ledger, const AlertingContext& ctx, IncidentId id,
                                     const std::string& actor, const std::string& text,
                                     TimePoint now);

/// An incident an operator opens by hand (a resident's call, a request).
struct ManualIncident {
  std::string incident_class = "trouble";  ///< trouble, request or question
  std::string title;
  std::string text;  ///< what was reported; the title when empty
  /// The node concerned: its system's owners and level. Empty: the whole
  /// platform (platform managers).
  std::string node;
  Priority priority = Priority::kLow;
  IncidentCause cause = IncidentCause::kUnknown;
  std::optional<TimePoint> detected_at;  ///< when it was noticed; default now
  std::string actor;                     ///< who opens it
};
/// Opens it and, for class trouble, queues the first report the timetable
/// owes (from `detected_at`), like a monitored failure; requests and
/// questions are recorded only. kNotFound for a node not in the inventory.
LedgerResult<IncidentId> OpenIncidentByOperator(Ledger& ledger, const AlertingContext& ctx,
                                                const ManualIncident& manual, TimePoint now);

/// The operator's provisional close (仮クローズ) of an open incident: service
/// is back, recorded as recovery completion; the manager's close follows.
LedgerStatus ProvisionallyCloseIncident(Ledger& ledger, IncidentId id, const std::string& actor,
                                        const std::string& text, TimePoint now);

/// 復旧作業開始連絡 / 復旧作業完了連絡.
struct WorkNotice {
  bool done = false;                 ///< false: work starts; true: work done
  std::string worker;                ///< 作業担当者
  std::string content;               ///< 作業内容
  std::string impact;                ///< 業務影響
  std::optional<TimePoint> work_at;  ///< 作業日時; default now
};
/// Records the work in the timeline and queues the mail to the incident's
/// recipients. Returns the report id.
LedgerResult<ReportId> AnnounceWork(Ledger& ledger, const AlertingContext& ctx, IncidentId id,
                                    const std::string& actor, const WorkNotice& notice,
                                    TimePoint now);

/// Builds the reports of one kind for an incident inside the caller's
/// transaction: renders the template with everything the ledger knows,
/// addresses it, numbers it (one number for the phone and mail copies) and
/// queues one report per channel. `due_at` is the timetable's deadline.
/// Returns the queued ids (empty when `channels` has none).
struct ReportRequest {
  ReportKind kind = ReportKind::kFirst;
  Channels channels = kMailOnly;
  TimePoint due_at;
  /// Extra values for the template (e.g. work notice fields).
  MailValues extra;
};
LedgerResult<std::vector<ReportId>> QueueIncidentReport(Ledger& ledger, const AlertingContext& ctx,
                                                        IncidentId id, const ReportRequest& request,
                                                        TimePoint now);

/// Queues the first report the incident's current plan owes, unless one was
/// already queued (inside the caller's transaction). Used when the priority
/// changes and by the engine.
LedgerStatus QueueOwedFirstReport(Ledger& ledger, const AlertingContext& ctx,
                                  const Incident& incident, TimePoint now);

/// Closes `incident` at `at` (recovery completion) and queues its final
/// report, inside the caller's transaction.
LedgerStatus CloseAndReport(Ledger& ledger, const AlertingContext& ctx, const Incident& incident,
                            TimePoint at, const std::string& actor, const std::string& text);

/// Suppression windows (spec section 5). The start and resumption mails are
/// queued by the engine when the window starts and ends (IncidentEngine::Tick),
/// so a window added for later still mails at its start.
LedgerResult<SuppressionId> AddSuppressionWindow(Ledger& ledger, const Inventory& inventory,
                                                 const NewSuppression& suppression);
LedgerStatus CancelSuppressionWindow(Ledger& ledger, SuppressionId id, TimePoint now);

}  // namespace mimamori::collector
